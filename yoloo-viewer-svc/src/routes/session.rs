//! Sign-in at the edge: credentials from requests (a signed session cookie
//! for browsers, HTTP Basic for API clients), the extractors that guard the
//! write routes ([`Writer`]) and, with a private gallery, the read routes
//! ([`Reader`]), and the sign-in and sign-out pages.
//!
//! A refused page request is redirected to `/sign-in?next=…`; a refused API
//! or media request gets 401 with `WWW-Authenticate: Basic`. Wrong passwords
//! (form or Basic) count against the client address: past the limit, 429
//! with `Retry-After`. Passwords and cookies are never logged.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use yoloo_api::ErrorCode;

use crate::deletion::now_ms;
use crate::routes::errors::html;
use crate::state::{Access, SharedState};

/// The session cookie's name.
pub const COOKIE: &str = "yoloo_session";

/// How long a session lasts.
pub const SESSION_SECS: u64 = 12 * 3600;

/// Who is signed in, for the page header.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    /// Sign-in is on.
    pub enabled: bool,
    /// The signed-in user.
    pub user: Option<String>,
}

/// The client address: the peer of the connection (the load balancer's
/// address when it does not preserve the client's).
fn client_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

/// The user of a valid, unexpired session cookie signed with our key.
fn session_user(access: &Access, headers: &HeaderMap) -> Option<String> {
    let mut jar = CookieJar::new();
    for value in headers.get_all(header::COOKIE) {
        let Ok(value) = value.to_str() else { continue };
        for c in Cookie::split_parse(value).flatten() {
            if c.name() == COOKIE {
                jar.add_original(c.into_owned());
            }
        }
    }
    let verified = jar.signed(&access.key).get(COOKIE)?;
    let (user, expires) = verified.value().rsplit_once(':')?;
    let expires: u64 = expires.parse().ok()?;
    (expires > now_ms() / 1000 && access.users.contains(user)).then(|| user.to_owned())
}

/// `Authorization: Basic` user and password, if well-formed.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Checks a password against the users file and the per-address limit.
async fn check_password(
    state: &SharedState,
    ip: IpAddr,
    user: String,
    password: String,
) -> Result<String, Denied> {
    let Some(access) = &state.access else {
        return Err(Denied::Unauthorized);
    };
    access.throttle.check(ip).map_err(Denied::TooMany)?;
    let users = access.users.clone();
    let name = user.clone();
    let ok = tokio::task::spawn_blocking(move || users.verify(&name, &password))
        .await
        .unwrap_or(false);
    if ok {
        tracing::info!(user, "signed in");
        Ok(user)
    } else {
        access.throttle.fail(ip);
        metrics::counter!("viewer_wrong_passwords_total").increment(1);
        tracing::info!(%ip, "wrong user name or password");
        Err(Denied::Unauthorized)
    }
}

/// Why a request was refused.
#[derive(Debug)]
pub enum Denied {
    /// A page: sign in first, then come back to `next`.
    SignIn {
        /// Where to go after signing in.
        next: String,
    },
    /// No valid credentials (API, media, a wrong Basic password).
    Unauthorized,
    /// Too many wrong passwords from this address: wait this long.
    TooMany(Duration),
}

fn retry_after(wait: Duration) -> HeaderValue {
    HeaderValue::from(wait.as_secs().max(1))
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        let mut r = self.answer();
        // Refused before its body was read: the connection cannot carry
        // another request, so say so (clients would reuse it otherwise).
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        r
    }
}

impl Denied {
    fn answer(self) -> Response {
        match self {
            Self::SignIn { next } => {
                let to = format!(
                    "/sign-in?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                no_store(Redirect::to(&to).into_response())
            }
            Self::Unauthorized => {
                let mut r = yoloo_server::ApiError::new(
                    ErrorCode::Unauthorized,
                    "sign in: HTTP Basic with a user of YOLOO_USERS_FILE",
                )
                .into_response();
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"yoloo\", charset=\"UTF-8\""),
                );
                r
            }
            Self::TooMany(wait) => {
                let mut r = yoloo_server::ApiError::new(
                    ErrorCode::TooManyAttempts,
                    "too many wrong passwords from this address; try again later",
                )
                .into_response();
                r.headers_mut()
                    .insert(header::RETRY_AFTER, retry_after(wait));
                r
            }
        }
    }
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// API and media requests answer 401; pages redirect to the sign-in page.
fn is_page(parts: &Parts) -> bool {
    let p = parts.uri.path();
    !(p.starts_with("/api/") || p.starts_with("/media/"))
}

/// Where to return after signing in: the page itself for a GET, else the gallery.
fn next_of(parts: &Parts) -> String {
    if parts.method == Method::GET {
        parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned())
    } else {
        "/".to_owned()
    }
}

/// The signed-in user of a request (cookie first, then Basic); `Ok(None)`
/// when it carries no credentials.
async fn identify(
    state: &SharedState,
    access: &Access,
    parts: &Parts,
) -> Result<Option<String>, Denied> {
    if let Some(user) = session_user(access, &parts.headers) {
        return Ok(Some(user));
    }
    match basic_credentials(&parts.headers) {
        Some((user, password)) => check_password(state, client_ip(parts), user, password)
            .await
            .map(Some),
        None => Ok(None),
    }
}

/// A request allowed to write: `Writer(None)` when sign-in is off, else
/// `Writer(Some(user))`. Anything else is refused ([`Denied`]).
#[derive(Debug)]
pub struct Writer(pub Option<String>);

impl FromRequestParts<SharedState> for Writer {
    type Rejection = Denied;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let Some(access) = &state.access else {
            return Ok(Self(None));
        };
        Ok(Self(Some(require_user(state, access, parts).await?)))
    }
}

/// The signed-in user; without one, a page is sent to sign in and
/// anything else refused.
async fn require_user(
    state: &SharedState,
    access: &Access,
    parts: &Parts,
) -> Result<String, Denied> {
    match identify(state, access, parts).await? {
        Some(user) => Ok(user),
        None if is_page(parts) => Err(Denied::SignIn {
            next: next_of(parts),
        }),
        None => Err(Denied::Unauthorized),
    }
}

/// A request allowed to browse: always with sign-in off or a public
/// gallery (its [`Nav`] says who is signed in), else signed-in users only.
#[derive(Debug)]
pub struct Reader(pub Nav);

impl FromRequestParts<SharedState> for Reader {
    type Rejection = Denied;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let Some(access) = &state.access else {
            return Ok(Self(Nav::default()));
        };
        let user = if access.public_gallery {
            // No password check for a public page: the cookie only says
            // who to show in the header.
            session_user(access, &parts.headers)
        } else {
            Some(require_user(state, access, parts).await?)
        };
        Ok(Self(Nav {
            enabled: true,
            user,
        }))
    }
}

impl Writer {
    /// The header of a page shown to this writer.
    pub fn nav(&self) -> Nav {
        Nav {
            enabled: self.0.is_some(),
            user: self.0.clone(),
        }
    }
}

/// A local path to return to: `/…`, never `//host` or a backslash trick.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    nav: Option<Nav>,
    next: String,
    error: Option<&'static str>,
}

/// `?next=`.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn sign_in_page(status: StatusCode, next: String, error: Option<&'static str>) -> Response {
    let page = SignInPage {
        nav: Some(Nav {
            enabled: true,
            user: None,
        }),
        next,
        error,
    };
    no_store(html(status, page.render()))
}

/// `GET /sign-in?next=`: the form (to the gallery when sign-in is off).
pub async fn sign_in_form(
    State(state): State<SharedState>,
    Query(q): Query<NextQuery>,
) -> Response {
    if state.access.is_none() {
        return Redirect::to("/").into_response();
    }
    sign_in_page(StatusCode::OK, safe_next(q.next.as_deref()), None)
}

/// Behind TLS? Only a proxy can say: this service speaks plain HTTP.
fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .next()
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
        })
}

fn session_cookie(access: &Access, user: &str, secure: bool) -> Cookie<'static> {
    let expires = now_ms() / 1000 + SESSION_SECS;
    let mut jar = CookieJar::new();
    jar.signed_mut(&access.key)
        .add(Cookie::new(COOKIE, format!("{user}:{expires}")));
    let value = jar
        .get(COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    Cookie::build((COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(
            i64::try_from(SESSION_SECS).unwrap_or(i64::MAX),
        ))
        .build()
}

fn with_cookie(mut r: Response, c: &Cookie<'_>) -> Response {
    if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    no_store(r)
}

/// `POST /sign-in` (form `user`, `password`, `next`): a session cookie and
/// 303 to `next`; a wrong user or password (the same answer for both) 401
/// with the form again; too many from this address 429.
pub async fn sign_in(
    State(state): State<SharedState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(access) = &state.access else {
        return Redirect::to("/").into_response();
    };
    let (mut user, mut password, mut next) = (String::new(), String::new(), None);
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "user" => user = v.into_owned(),
            "password" => password = v.into_owned(),
            "next" => next = Some(v.into_owned()),
            _ => {}
        }
    }
    let next = safe_next(next.as_deref());
    match check_password(&state, peer.ip(), user.trim().to_owned(), password).await {
        Ok(user) => {
            let c = session_cookie(access, &user, is_https(&headers));
            with_cookie(Redirect::to(&next).into_response(), &c)
        }
        Err(Denied::TooMany(wait)) => {
            let mut r = sign_in_page(
                StatusCode::TOO_MANY_REQUESTS,
                next,
                Some("Too many wrong passwords from your address. Wait a minute and try again."),
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, retry_after(wait));
            r
        }
        Err(_) => sign_in_page(
            StatusCode::UNAUTHORIZED,
            next,
            Some("Wrong user name or password."),
        ),
    }
}

/// `POST /sign-out`: the cookie is cleared, 303 to the gallery.
pub async fn sign_out(headers: HeaderMap) -> Response {
    let c = Cookie::build((COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(is_https(&headers))
        .max_age(cookie::time::Duration::ZERO)
        .build();
    with_cookie(Redirect::to("/").into_response(), &c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/images/X?flash=a")), "/images/X?flash=a");
        for bad in ["//evil.example", "https://evil.example", "/\\evil", "", "x"] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn basic_credentials_parse() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic YW5uOnM6M2NyZXQ="),
        );
        assert_eq!(
            basic_credentials(&h),
            Some(("ann".to_owned(), "s:3cret".to_owned()))
        );
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(basic_credentials(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!"));
        assert_eq!(basic_credentials(&h), None);
    }

    #[test]
    fn forwarded_proto_makes_cookies_secure() {
        let mut h = HeaderMap::new();
        assert!(!is_https(&h));
        h.insert("x-forwarded-proto", HeaderValue::from_static("https, http"));
        assert!(is_https(&h));
    }
}
