//! Server-rendered pages (askama; every value is HTML-escaped).

use std::time::SystemTime;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::deletion;

use crate::process;
use crate::routes::errors::{PageError, html};
use crate::routes::form::{self, read_uploads};
use crate::routes::session::{Nav, Reader, Writer};
use crate::state::SharedState;
use crate::store::{ClassFilter, Record, Status};

/// A flash message: fixed texts chosen by a code in the query string (no
/// user text is ever reflected).
pub struct Flash {
    /// `success`, `warning`, `error`.
    pub kind: &'static str,
    /// The text.
    pub text: String,
}

fn flash(code: Option<&str>, n: Option<u32>) -> Option<Flash> {
    let n = n.unwrap_or(1);
    Some(match code? {
        "processed" => Flash {
            kind: "success",
            text: "Image processed.".into(),
        },
        "processed_many" => Flash {
            kind: "success",
            text: format!("{n} images processed."),
        },
        "some_failed" => Flash {
            kind: "error",
            text: format!(
                "{n} images uploaded; processing failed for some of them (their originals are kept — open one to retry)."
            ),
        },
        "no_image" => Flash {
            kind: "warning",
            text: "No image uploaded: choose a file first.".into(),
        },
        "failed" => Flash {
            kind: "error",
            text: "Processing failed. The original is kept; you can retry.".into(),
        },
        "retried" => Flash {
            kind: "success",
            text: "Retry succeeded: image processed.".into(),
        },
        "deleted" => Flash {
            kind: "success",
            text: "Image deleted.".into(),
        },
        _ => return None,
    })
}

/// `?flash=&n=&cursor=&class=`.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    flash: Option<String>,
    n: Option<u32>,
    cursor: Option<String>,
    class: Option<String>,
}

/// A class chip: the label, a count, and the gallery filtered to it.
pub struct Chip {
    label: String,
    n: u64,
    href: String,
    active: bool,
}

/// `/?class=…` for these labels (URL-encoded).
fn class_href(labels: &[&str]) -> String {
    let value: String = url::form_urlencoded::byte_serialize(labels.join(",").as_bytes()).collect();
    format!("/?class={value}")
}

fn chips<'a>(counts: impl IntoIterator<Item = (&'a str, u64)>, filter: &ClassFilter) -> Vec<Chip> {
    counts
        .into_iter()
        .map(|(label, n)| Chip {
            label: label.to_owned(),
            n,
            href: class_href(&[label]),
            active: filter.labels().iter().any(|l| l == label),
        })
        .collect()
}

/// A gallery card.
pub struct Card {
    id: String,
    thumb: Option<String>,
    counts: String,
    chips: Vec<Chip>,
    failed: bool,
    filename: String,
    iso: String,
    ago: String,
}

/// How long ago, in words.
pub fn ago(rfc3339: &str, now: SystemTime) -> String {
    let Ok(t) =
        time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
    else {
        return rfc3339.to_owned();
    };
    let secs = (time::OffsetDateTime::from(now) - t).whole_seconds();
    match secs {
        i64::MIN..=44 => "just now".into(),
        45..=5399 => format!("{} min ago", ((secs + 30) / 60).max(1)),
        5400..=129_599 => format!("{} h ago", (secs + 1800) / 3600),
        129_600..=2_591_999 => format!("{} days ago", (secs + 43_200) / 86_400),
        _ => rfc3339.get(..10).unwrap_or(rfc3339).to_owned(),
    }
}

fn card(r: &Record, now: SystemTime, filter: &ClassFilter) -> Card {
    let sorted = r.counts_sorted();
    Card {
        id: r.id.clone(),
        chips: chips(sorted.iter().map(|(l, n)| (l.as_str(), *n as u64)), filter),
        thumb: r.thumbnail_url.clone(),
        counts: if r.status == Status::Failed {
            "processing failed".into()
        } else if r.counts.is_empty() {
            "nothing detected".into()
        } else {
            r.counts_text()
        },
        failed: r.status == Status::Failed,
        filename: r.filename.clone(),
        iso: r.created_at.clone(),
        ago: ago(&r.created_at, now),
    }
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    nav: Option<Nav>,
    flash: Option<Flash>,
    cards: Vec<Card>,
    /// `/?cursor=…` of the next page, keeping the filter.
    next_href: Option<String>,
    /// The first page, keeping the filter.
    first_href: String,
    first_page: bool,
    /// Every class with its total: the filter bar.
    classes: Vec<Chip>,
    /// The labels filtered on (empty: all).
    filter: Vec<String>,
    /// Anonymous while sign-in is on: no upload form.
    may_upload: bool,
    max_mb: String,
    max_files: usize,
}

/// A detection row.
struct Row {
    label: String,
    confidence: String,
    bbox: String,
}

#[derive(Template)]
#[template(path = "detail.html")]
struct DetailPage {
    nav: Option<Nav>,
    flash: Option<Flash>,
    r: Record,
    failed: bool,
    chips: Vec<Chip>,
    rows: Vec<Row>,
    timings: Vec<(&'static str, String)>,
    ago: String,
    /// Retry and Delete are offered.
    may_write: bool,
}

/// `/`: upload form, class bar and gallery; `?class=` filters it.
pub async fn index(
    State(state): State<SharedState>,
    Reader(nav): Reader,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let q = form::query(q)?;
    let cursor = form::cursor(q.cursor.as_deref())?;
    let filter = form::class_filter(q.class.as_deref())?;
    let (page, totals) = tokio::join!(
        state.records.list(&filter, cursor, state.config.page_size),
        state.records.class_totals()
    );
    let (page, totals) = (page?, totals?);
    let now = SystemTime::now();
    let keep = if filter.is_all() {
        String::new()
    } else {
        let labels: Vec<&str> = filter.labels().iter().map(String::as_str).collect();
        class_href(&labels).trim_start_matches("/?").to_owned()
    };
    let first_href = if keep.is_empty() {
        "/".to_owned()
    } else {
        format!("/?{keep}")
    };
    let body = IndexPage {
        flash: flash(q.flash.as_deref(), q.n),
        cards: page.records.iter().map(|r| card(r, now, &filter)).collect(),
        next_href: page.next_cursor.map(|c| {
            if keep.is_empty() {
                format!("/?cursor={c}")
            } else {
                format!("/?{keep}&cursor={c}")
            }
        }),
        first_href,
        first_page: cursor.is_none(),
        classes: chips(totals.iter().map(|(l, n)| (l.as_str(), *n)), &filter),
        filter: filter.labels().to_vec(),
        may_upload: !nav.enabled || nav.user.is_some(),
        nav: Some(nav),
        max_mb: format!(
            "{:.0}",
            state.config.max_body_bytes as f64 / (1024.0 * 1024.0)
        ),
        max_files: state.config.max_files,
    }
    .render();
    Ok(html(StatusCode::OK, body))
}

/// `POST /upload`: one or more `input_image` files → 303 to the detail page
/// (one file) or the gallery (several).
pub async fn upload(
    State(state): State<SharedState>,
    Writer(user): Writer,
    req: Request,
) -> Result<Response, PageError> {
    let req = form::refuse_declared(&state.config, req)?;
    // Before the body is read: waiting uploads hold neither body nor pixels.
    let _permit = state.upload_permit().await?;
    let uploads = read_uploads(&state.config, req).await?;
    if uploads.is_empty() {
        return Ok(Redirect::to("/?flash=no_image").into_response());
    }
    // Check every file before storing any: a bad file refuses the whole
    // upload. Each is decoded to be checked and its pixels dropped at once,
    // so a form of many large files holds one decoded image at a time
    // (ingest decodes each again in turn).
    let mut valid = Vec::with_capacity(uploads.len());
    for u in uploads {
        valid.push(process::validate(&state, u).await?.without_pixels());
    }
    let n = valid.len();
    let mut records = Vec::with_capacity(n);
    for v in valid {
        records.push(process::ingest(&state, v, user.clone()).await?);
    }
    let any_failed = records.iter().any(|r| r.status == Status::Failed);
    let to = match records.as_slice() {
        [r] => format!(
            "/images/{}?flash={}",
            r.id,
            if any_failed { "failed" } else { "processed" }
        ),
        _ => format!(
            "/?flash={}&n={n}",
            if any_failed {
                "some_failed"
            } else {
                "processed_many"
            }
        ),
    };
    Ok(Redirect::to(&to).into_response())
}

/// `/images/{id}`.
pub async fn detail(
    State(state): State<SharedState>,
    Reader(nav): Reader,
    Path(id): Path<String>,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let q = form::query(q)?;
    let r = process::find(&state, &id).await?;
    let rows = r
        .detections
        .iter()
        .map(|d| Row {
            label: d.label.clone(),
            confidence: format!("{:.2}", d.confidence),
            bbox: format!("{:.0}, {:.0} → {:.0}, {:.0}", d.x1, d.y1, d.x2, d.y2),
        })
        .collect();
    let timings = r
        .timings_ms
        .as_ref()
        .filter(|_| r.status == Status::Done)
        .map(|t| {
            vec![
                ("decode", format!("{:.1} ms", t.decode)),
                ("preprocess", format!("{:.1} ms", t.preprocess)),
                ("inference", format!("{:.1} ms", t.inference)),
                ("postprocess", format!("{:.1} ms", t.postprocess)),
                ("drawing", format!("{:.1} ms", t.annotate.unwrap_or(0.0))),
                ("detection total", format!("{:.1} ms", t.total)),
            ]
        })
        .unwrap_or_default();
    let chips = chips(
        r.counts_sorted()
            .iter()
            .map(|(l, n)| (l.as_str(), *n as u64)),
        &ClassFilter::all(),
    );
    let page = DetailPage {
        may_write: !nav.enabled || nav.user.is_some(),
        nav: Some(nav),
        flash: flash(q.flash.as_deref(), q.n),
        failed: r.status == Status::Failed,
        chips,
        rows,
        timings,
        ago: ago(&r.created_at, SystemTime::now()),
        r,
    };
    Ok(html(StatusCode::OK, page.render()).into_response())
}

/// `POST /images/{id}/retry` → 303 back to the detail page.
pub async fn retry(
    State(state): State<SharedState>,
    _writer: Writer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let _permit = state.upload_permit().await?;
    let r = process::retry(&state, &id).await?;
    let flash = if r.status == Status::Done {
        "retried"
    } else {
        "failed"
    };
    let mut resp = Redirect::to(&format!("/images/{id}?flash={flash}")).into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

#[derive(Template)]
#[template(path = "delete.html")]
struct DeletePage {
    nav: Option<Nav>,
    r: Record,
}

/// `GET /images/{id}/delete`: "Delete this image?" — the confirmation
/// step, a page of its own so it works without script.
pub async fn confirm_delete(
    State(state): State<SharedState>,
    writer: Writer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let r = process::find(&state, &id).await?;
    let page = DeletePage {
        nav: Some(writer.nav()),
        r,
    };
    Ok(html(StatusCode::OK, page.render()))
}

/// `POST /images/{id}/delete` (from the confirmation page) → 303 to the
/// gallery.
pub async fn delete(
    State(state): State<SharedState>,
    _writer: Writer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    deletion::delete(&state, &id).await?;
    let mut resp = Redirect::to("/?flash=deleted").into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}
