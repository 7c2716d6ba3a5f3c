//! Cross-site request protection for every state-changing route (forms and
//! API): a browser says where a request comes from, and a request another
//! site made it send is refused with 403 `cross_site_request` (an HTML page,
//! or JSON under `/api/`) before anything is read or stored.
//!
//! What is checked, in order (the algorithm of Go's
//! `http.CrossOriginProtection`, no token or cookie needed):
//! 1. `GET`, `HEAD` and `OPTIONS` pass: they change nothing.
//! 2. `Sec-Fetch-Site` (every current browser sends it): `same-origin` and
//!    `none` (typed in, a bookmark) pass; `same-site` and `cross-site` are
//!    refused.
//! 3. Without it (older browsers), `Origin`: it must name this host (the
//!    `Host` header) and port; `null` is refused.
//! 4. Neither header: not a browser (curl, the Python client, another
//!    service), so nothing to protect against: it passes.
//!
//! [`refuse_cross_site`] is a layer on the whole router, so a route added
//! there is covered without opting in.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use yoloo_api::ErrorCode;
use yoloo_server::ApiError;

use crate::routes::errors::error_page;

/// The middleware: refuses state-changing requests that come from another
/// site (see the module docs); passes every other request on.
pub async fn refuse_cross_site(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let Some(why) = cross_site(req.headers()) else {
        return next.run(req).await;
    };
    tracing::info!(method = %req.method(), path = req.uri().path(), why, "cross-site request refused");
    let api = req.uri().path().starts_with("/api/");
    yoloo_server::body::discard(req.into_body());
    let message = format!("refused: this request was sent from another site ({why})");
    if api {
        ApiError::new(ErrorCode::CrossSiteRequest, message).into_response()
    } else {
        error_page(ErrorCode::CrossSiteRequest, &message)
    }
}

/// Why the request looks cross-site, or `None` when it does not.
pub fn cross_site(headers: &HeaderMap) -> Option<String> {
    if let Some(site) = headers.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or("").trim().to_ascii_lowercase();
        return match site.as_str() {
            "same-origin" | "none" => None,
            _ => Some(format!("Sec-Fetch-Site: {site}")),
        };
    }
    let origin = headers.get(header::ORIGIN)?;
    let origin = origin.to_str().unwrap_or("").trim();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if same_host(origin, host) {
        None
    } else {
        Some(format!("Origin: {origin}"))
    }
}

/// Whether `origin` (`scheme://host[:port]`) names `host` (`host[:port]`,
/// the Host header), default ports included.
fn same_host(origin: &str, host: &str) -> bool {
    let Ok(origin) = url::Url::parse(origin) else {
        return false; // `null`, or garbage
    };
    let Ok(ours) = url::Url::parse(&format!("{}://{host}", origin.scheme())) else {
        return false;
    };
    origin.host_str().is_some()
        && origin.host_str() == ours.host_str()
        && origin.port_or_known_default() == ours.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn browsers_from_elsewhere_are_refused() {
        let h = |p| cross_site(&headers(p));
        assert!(h(&[("sec-fetch-site", "cross-site")]).is_some());
        assert!(h(&[("sec-fetch-site", "same-site")]).is_some());
        assert!(h(&[("origin", "http://evil.example"), ("host", "viewer:8080")]).is_some());
        assert!(h(&[("origin", "null"), ("host", "viewer")]).is_some());
        assert!(h(&[("origin", "http://viewer:8081"), ("host", "viewer:8080")]).is_some());
        assert!(h(&[("origin", "https://viewer"), ("host", "viewer:80")]).is_some());
        // Sec-Fetch-Site wins over a matching Origin.
        assert!(
            h(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "http://viewer"),
                ("host", "viewer")
            ])
            .is_some()
        );
    }

    #[test]
    fn same_origin_and_plain_clients_pass() {
        let h = |p| cross_site(&headers(p));
        assert_eq!(h(&[]), None);
        assert_eq!(h(&[("host", "viewer:8080")]), None);
        assert_eq!(h(&[("sec-fetch-site", "same-origin")]), None);
        assert_eq!(h(&[("sec-fetch-site", "none")]), None);
        assert_eq!(
            h(&[("origin", "http://viewer:8080"), ("host", "viewer:8080")]),
            None
        );
        assert_eq!(
            h(&[("origin", "http://Viewer"), ("host", "viewer:80")]),
            None
        );
        assert_eq!(
            h(&[
                ("origin", "https://gallery.example"),
                ("host", "gallery.example")
            ]),
            None
        );
    }
}
