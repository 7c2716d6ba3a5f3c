//! Who may write: the users file (`YOLOO_USERS_FILE`, lines
//! `user:<argon2 PHC hash>`), password checks that answer the same whether
//! the user exists or not, and a per-address limit on wrong passwords. No
//! HTTP here: `routes::session` reads credentials from requests and sets the
//! session cookie.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Why sign-in cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The users file cannot be read.
    #[error("users file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A line of the users file is not `user:<argon2 PHC hash>` (the line's
    /// content is not repeated: it holds a hash).
    #[error("users file {path}, line {line}: {why}")]
    Line {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// Hashing failed.
    #[error("hashing the password: {0}")]
    Hash(String),
}

/// Hashes a password with Argon2id (the crate's defaults: 19 MiB, 2 passes)
/// and a random salt, as a PHC string for the users file.
///
/// ```
/// let phc = yoloo_viewer_svc::auth::hash_password("correct horse").unwrap();
/// assert!(phc.starts_with("$argon2id$"));
/// ```
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// A user name of the users file: 1–64 characters, none of them `:`,
/// whitespace or a control character.
pub fn valid_user_name(name: &str) -> bool {
    (1..=64).contains(&name.chars().count())
        && !name
            .chars()
            .any(|c| c == ':' || c.is_whitespace() || c.is_control())
}

/// The users allowed to write, with their password hashes.
#[derive(Clone)]
pub struct Users {
    hashes: Arc<HashMap<String, String>>,
    /// Checked for unknown users, so they cost what known ones do.
    decoy: Arc<String>,
}

impl std::fmt::Debug for Users {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.hashes.keys().collect();
        names.sort();
        f.debug_struct("Users").field("names", &names).finish()
    }
}

impl Users {
    /// Reads the users file: `user:<PHC hash>` per line; blank lines and
    /// lines starting with `#` are skipped.
    pub fn load(path: &Path) -> Result<Self, AuthError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| AuthError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::parse(&text, &shown)
    }

    /// Parses the users file's text (`path` only names it in errors).
    pub fn parse(text: &str, path: &str) -> Result<Self, AuthError> {
        let mut hashes = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |why: &str| AuthError::Line {
                path: path.to_owned(),
                line: i + 1,
                why: why.to_owned(),
            };
            let (user, hash) = line
                .split_once(':')
                .ok_or_else(|| bad("expected user:<argon2 PHC hash>"))?;
            if !valid_user_name(user) {
                return Err(bad(
                    "a user name is 1-64 characters without ':', spaces or control characters",
                ));
            }
            let parsed = PasswordHash::new(hash)
                .map_err(|_| bad("not a PHC hash string (make one with `hash-password`)"))?;
            if !parsed.algorithm.as_str().starts_with("argon2") {
                return Err(bad("the hash is not an argon2 hash"));
            }
            if hashes.insert(user.to_owned(), hash.to_owned()).is_some() {
                return Err(bad("this user is listed twice"));
            }
        }
        if hashes.is_empty() {
            return Err(AuthError::Line {
                path: path.to_owned(),
                line: 0,
                why: "no users: add lines user:<hash> (`hash-password` prints one)".into(),
            });
        }
        Ok(Self {
            hashes: Arc::new(hashes),
            decoy: Arc::new(hash_password("not anyone's password")?),
        })
    }

    /// Is `name` a user?
    pub fn contains(&self, name: &str) -> bool {
        self.hashes.contains_key(name)
    }

    /// How many users.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// No users? (never true for a loaded file).
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// True when `password` is `user`'s. An unknown user costs one hash
    /// check too, so the time does not tell whether a user exists. Slow on
    /// purpose (Argon2): call it off the async threads.
    pub fn verify(&self, user: &str, password: &str) -> bool {
        let (hash, known) = match self.hashes.get(user) {
            Some(h) => (h.as_str(), true),
            None => (self.decoy.as_str(), false),
        };
        let ok = PasswordHash::new(hash).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        });
        ok && known
    }
}

/// Wrong passwords per client address: at most `max` within `window`;
/// beyond that every attempt from the address is refused until the oldest
/// failure leaves the window.
pub struct Throttle {
    max: usize,
    window: Duration,
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

/// Addresses tracked at most; beyond this the stalest are forgotten.
const THROTTLE_ADDRESSES: usize = 10_000;

impl Throttle {
    /// `max` wrong passwords per `window` and address.
    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            max,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, VecDeque<Instant>>> {
        // A panic while holding the lock leaves plain data: keep using it.
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `Err(wait)` when `ip` has used up its wrong passwords: try again after `wait`.
    pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        let mut map = self.lock();
        let Some(q) = map.get_mut(&ip) else {
            return Ok(());
        };
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            q.pop_front();
        }
        if q.len() < self.max {
            return Ok(());
        }
        let oldest = q.front().copied().unwrap_or(now);
        Err(self.window.saturating_sub(now.duration_since(oldest)))
    }

    /// Counts a wrong password from `ip`.
    pub fn fail(&self, ip: IpAddr) {
        let now = Instant::now();
        let mut map = self.lock();
        if map.len() >= THROTTLE_ADDRESSES && !map.contains_key(&ip) {
            let window = self.window;
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
            if map.len() >= THROTTLE_ADDRESSES {
                map.clear();
            }
        }
        let q = map.entry(ip).or_default();
        q.push_back(now);
        while q.len() > self.max {
            q.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_unknown_users_fail_the_same_way() {
        let phc = hash_password("s3cret").expect("hash");
        let users = Users::parse(&format!("# team\n\nann:{phc}\n"), "users").expect("parses");
        assert!(users.contains("ann") && users.len() == 1);
        assert!(users.verify("ann", "s3cret"));
        assert!(!users.verify("ann", "wrong"));
        assert!(!users.verify("bob", "s3cret"));
        assert!(!format!("{users:?}").contains("argon2"));
    }

    #[test]
    fn bad_users_files_name_the_line_not_the_hash() {
        let phc = hash_password("x").expect("hash");
        for (text, line) in [
            ("ann".to_owned(), 1),
            (format!("ann:{phc}\nbob:plain"), 2),
            (format!("a b:{phc}"), 1),
            (format!("ann:{phc}\nann:{phc}"), 2),
            ("# nobody\n".to_owned(), 0),
        ] {
            match Users::parse(&text, "f") {
                Err(AuthError::Line { line: l, why, .. }) => {
                    assert_eq!(l, line, "{text}: {why}");
                    assert!(!why.contains("argon2id$"), "{why}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn throttle_refuses_after_max_failures_then_forgets() {
        let t = Throttle::new(2, Duration::from_millis(200));
        let ip: IpAddr = [10, 0, 0, 1].into();
        let other: IpAddr = [10, 0, 0, 2].into();
        assert!(t.check(ip).is_ok());
        t.fail(ip);
        assert!(t.check(ip).is_ok());
        t.fail(ip);
        let wait = t.check(ip).expect_err("throttled");
        assert!(wait <= Duration::from_millis(200));
        assert!(t.check(other).is_ok());
        std::thread::sleep(Duration::from_millis(220));
        assert!(t.check(ip).is_ok());
    }
}
