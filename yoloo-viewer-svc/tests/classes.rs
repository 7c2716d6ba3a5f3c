//! Browse by class and delete, on each record store (the embedded redb file
//! and a real `redis-server`): 30 uploads of mixed photos; `class=` lists
//! exactly the records whose counts name the class, newest first, in pages
//! of 5 with no duplicate or gap while uploads go on; a store made without
//! the class index is indexed once at start-up with the same answer; a
//! delete removes the record from every list and filter, its share of the
//! counts, and its images.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use yoloo_testkit::http::{client, delete_status, get_json, get_status, get_text, upload_api};
use yoloo_testkit::image_bytes;
use yoloo_testkit::programs::{Redis, files_under};
use yoloo_testkit::service::{Service, start_viewer};

/// The class filtered on. At `YOLOO_CONFIDENCE=0.25` yolov3-tiny finds
/// `person` in bus.jpg, zidane.jpg and camera.png, `tie` in
/// grace_hopper.jpg, `toilet` in coffee.png, `motorbike` in
/// motorcycle_left.png and nothing in the other two (the fetched photos
/// hold no dog: the filter is the same for any label).
const LABEL: &str = "person";

/// A second class, for `class=person,tie`.
const OTHER: &str = "tie";

const PHOTOS: [&str; 8] = [
    "bus.jpg",
    "chelsea.png",
    "zidane.jpg",
    "coffee.png",
    "grace_hopper.jpg",
    "astronaut.png",
    "camera.png",
    "motorcycle_left.png",
];

/// Every id of `GET /api/images?{query}` in pages of `limit`, in order.
async fn ids(c: &reqwest::Client, v: &Service, query: &str, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Value = get_json(
            c,
            &v.url(&format!(
                "/api/images?{query}&limit={limit}&cursor={cursor}"
            )),
        )
        .await;
        let images = page["images"].as_array().expect("images");
        assert!(images.len() <= limit, "{page}");
        out.extend(
            images
                .iter()
                .map(|i| i["id"].as_str().expect("id").to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(n) => cursor = n.to_owned(),
            None => return out,
        }
    }
}

/// Every record, newest first.
async fn records(c: &reqwest::Client, v: &Service) -> Vec<Value> {
    let page: Value = get_json(c, &v.url("/api/images?limit=100")).await;
    page["images"].as_array().expect("images").clone()
}

fn with_label(records: &[Value], label: &str) -> Vec<String> {
    records
        .iter()
        .filter(|r| r["counts"].get(label).is_some())
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Label → objects over all records, from the records themselves.
fn totals_of(records: &[Value]) -> BTreeMap<String, u64> {
    let mut t = BTreeMap::new();
    for r in records {
        for (label, n) in r["counts"].as_object().expect("counts") {
            *t.entry(label.clone()).or_default() += n.as_u64().expect("count");
        }
    }
    t
}

/// `GET /api/classes` as a map.
async fn classes(c: &reqwest::Client, v: &Service) -> BTreeMap<String, u64> {
    let body: Value = get_json(c, &v.url("/api/classes")).await;
    body["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .map(|e| {
            (
                e["label"].as_str().expect("label").to_owned(),
                e["count"].as_u64().expect("count"),
            )
        })
        .collect()
}

fn descending_unique(ids: &[String]) {
    for w in ids.windows(2) {
        assert!(w[0] > w[1], "not newest first, or a duplicate: {ids:?}");
    }
}

/// What each store test runs; `strip` turns the store (the viewer stopped)
/// into one made before the class index existed.
async fn by_class_and_delete(env: Vec<(&'static str, String)>, strip: impl Fn(&Path)) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut env = env;
    env.push(("YOLOO_PAGE_SIZE", "5".into()));
    env.push(("YOLOO_CONFIDENCE", "0.25".into()));
    let c = client();
    let v = start_viewer(dir.path(), &env);

    for i in 0..20 {
        let name = PHOTOS[i % PHOTOS.len()];
        upload_api(&c, &v, name, image_bytes(name)).await;
    }
    // Ten more uploads while the filtered list is paged through.
    let base = v.base.clone();
    let uploader = tokio::spawn(async move {
        let c = client();
        for i in 20..30 {
            let name = PHOTOS[i % PHOTOS.len()];
            let r = c
                .post(format!("{base}/api/images"))
                .multipart(yoloo_testkit::http::viewer_form(&[(
                    name,
                    image_bytes(name),
                )]))
                .send()
                .await
                .expect("upload");
            assert_eq!(r.status(), 201);
        }
    });
    let mut paged = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let page: Value = get_json(
            &c,
            &v.url(&format!(
                "/api/images?class={LABEL}&limit=5&cursor={cursor}"
            )),
        )
        .await;
        pages += 1;
        let images = page["images"].as_array().expect("images");
        assert!(images.len() <= 5);
        for i in images {
            assert!(i["counts"].get(LABEL).is_some(), "{i}");
            paged.push(i["id"].as_str().expect("id").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(n) => cursor = n.to_owned(),
            None => break,
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let uploads_overlapped = !uploader.is_finished();
    uploader.await.expect("uploader");
    let all = records(&c, &v).await;
    assert_eq!(all.len(), 30);
    descending_unique(&paged);
    assert!(pages >= 2, "one page only: {paged:?}");
    // No gap: exactly the matching records up to the newest one seen.
    let expected: Vec<String> = with_label(&all, LABEL)
        .into_iter()
        .filter(|id| paged.first().is_some_and(|first| id <= first))
        .collect();
    assert_eq!(paged, expected, "a gap or an extra record");
    assert!(
        uploads_overlapped,
        "the uploads ended before the paging did"
    );

    // Now everything: one class, two classes (either), an unknown one.
    let matching = with_label(&all, LABEL);
    assert!(matching.len() >= 6, "{matching:?}");
    assert!(!with_label(&all, OTHER).is_empty());
    assert_eq!(ids(&c, &v, &format!("class={LABEL}"), 5).await, matching);
    let either: Vec<String> = all
        .iter()
        .filter(|r| r["counts"].get(LABEL).is_some() || r["counts"].get(OTHER).is_some())
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect();
    assert!(either.len() > matching.len());
    assert_eq!(
        ids(&c, &v, &format!("class={LABEL},{OTHER}"), 5).await,
        either
    );
    assert!(ids(&c, &v, "class=unicorn", 5).await.is_empty());
    assert_eq!(
        get_status(&c, &v.url("/api/images?class=a%07b"), "bad class").await,
        400
    );
    let totals = totals_of(&all);
    assert_eq!(classes(&c, &v).await, totals);

    // The gallery: the class bar, the filtered page and how to clear it.
    let page = get_text(&c, &v.url("/")).await;
    assert!(
        page.contains(&format!("href=\"/?class={LABEL}\"")),
        "{page}"
    );
    assert!(page.contains(&format!(
        "data-label=\"{LABEL}\" data-count=\"{}\"",
        totals[LABEL]
    )));
    let page = get_text(&c, &v.url(&format!("/?class={LABEL}"))).await;
    assert!(page.contains("Showing photos with") && page.contains("id=\"clear-filter\""));
    assert_eq!(page.matches("class=\"card").count(), 5);
    for id in &matching[..5] {
        assert!(page.contains(&format!("/images/{id}")), "{id} missing");
    }
    assert!(
        page.contains(&format!("/?class={LABEL}&#38;cursor={}", matching[4])),
        "{page}"
    );
    let detail = get_text(&c, &v.url(&format!("/images/{}", matching[0]))).await;
    assert!(detail.contains(&format!("href=\"/?class={LABEL}\"")));

    // A store from before the index: built once at start-up, same answers.
    v.stop();
    strip(dir.path());
    let v = start_viewer(dir.path(), &env);
    assert_eq!(ids(&c, &v, &format!("class={LABEL}"), 5).await, matching);
    assert_eq!(classes(&c, &v).await, totals);
    let log = v.log_text();
    assert!(
        log.contains("class index built") && log.contains("records=30"),
        "{log}"
    );
    v.stop();
    let v = start_viewer(dir.path(), &env);
    assert!(!v.log_text().contains("class index built"), "built twice");
    assert_eq!(ids(&c, &v, &format!("class={LABEL}"), 5).await, matching);

    // Delete one: gone from every list and filter, counts down by its own,
    // images 404 and gone from the store. Twice: 404.
    let victim = all
        .iter()
        .find(|r| r["id"] == matching[2].as_str())
        .expect("victim")
        .clone();
    let id = victim["id"].as_str().expect("id");
    assert_eq!(
        delete_status(&c, &v.url(&format!("/api/images/{id}"))).await,
        204
    );
    assert_eq!(
        delete_status(&c, &v.url(&format!("/api/images/{id}"))).await,
        404
    );
    assert_eq!(
        get_status(&c, &v.url(&format!("/api/images/{id}")), "gone").await,
        404
    );
    assert!(!ids(&c, &v, "class=", 5).await.contains(&id.to_owned()));
    let left: Vec<String> = matching.iter().filter(|d| *d != id).cloned().collect();
    assert_eq!(ids(&c, &v, &format!("class={LABEL}"), 5).await, left);
    let mut expected = totals.clone();
    for (label, n) in victim["counts"].as_object().expect("counts") {
        let e = expected.get_mut(label).expect("label");
        *e -= n.as_u64().expect("n");
        if *e == 0 {
            expected.remove(label);
        }
    }
    assert_eq!(classes(&c, &v).await, expected);
    for url in ["original_url", "annotated_url", "thumbnail_url"] {
        let u = victim[url].as_str().expect("url");
        assert_eq!(get_status(&c, &v.url(u), url).await, 404, "{url}");
    }
    let files = files_under(&dir.path().join("media"));
    assert!(
        !files.iter().any(|f| f.to_string_lossy().contains(id)),
        "{files:?}"
    );
    assert_eq!(files.len(), 29 * 3, "other records' images touched");

    // Through the pages: the confirmation step, then the delete.
    let other = &matching[0];
    let confirm = get_text(&c, &v.url(&format!("/images/{other}/delete"))).await;
    assert!(
        confirm.contains("Delete this image?")
            && confirm.contains(&format!(
                "action=\"/images/{other}/delete\" method=\"post\""
            )),
        "{confirm}"
    );
    let detail = get_text(&c, &v.url(&format!("/images/{other}"))).await;
    assert!(detail.contains(&format!("href=\"/images/{other}/delete\"")));
    let r = c
        .post(v.url(&format!("/images/{other}/delete")))
        .send()
        .await
        .expect("form delete");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/?flash=deleted");
    assert!(
        get_text(&c, &v.url("/?flash=deleted"))
            .await
            .contains("Image deleted.")
    );
    assert_eq!(
        get_status(&c, &v.url(&format!("/images/{other}")), "gone").await,
        404
    );
    assert_eq!(records(&c, &v).await.len(), 28);
    let ids_left: BTreeSet<String> = ids(&c, &v, "class=", 7).await.into_iter().collect();
    assert_eq!(ids_left.len(), 28);
    v.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_store() {
    by_class_and_delete(Vec::new(), |dir| {
        // The file as it was before the index: the records table only.
        let db = redb::Database::create(dir.join("records.redb")).expect("open");
        let tx = db.begin_write().expect("tx");
        for t in ["classes", "counts", "meta"] {
            let def: redb::TableDefinition<&str, u64> = redb::TableDefinition::new(t);
            let _ = tx.delete_table(def);
        }
        tx.commit().expect("commit");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store() {
    let Some(redis) = Redis::start() else { return };
    let url = redis.url.clone();
    by_class_and_delete(
        vec![("REDIS_URL", url), ("YOLOO_REDIS_PREFIX", "yc:".into())],
        |_| {
            // The original layout: records, ids and counts, no class sets.
            let r = redis.command(
                "EVAL \"for _, k in ipairs(redis.call('KEYS', 'yc:class:*')) do redis.call('DEL', k) end return redis.call('DEL', 'yc:meta')\" 0",
            );
            assert!(r.starts_with(":1"), "{r}");
            assert!(redis.command("EXISTS yc:meta").starts_with(":0"));
        },
    )
    .await;
}
