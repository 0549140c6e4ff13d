//! The definition store: state behind a lock, persisted atomically to one JSON file.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::deploy::Snapshot;
use crate::error::{ApiError, ErrorKind};
use crate::model::{Integration, Method, RestApi, State};

/// The name of the state file inside the state directory.
pub const STATE_FILE: &str = "state.json";
/// The lock file that keeps a second process from opening the same state directory.
pub const LOCK_FILE: &str = "state.lock";
const TEMP_PREFIX: &str = ".state.json.tmp.";
const STATE_VERSION: u32 = 1;

/// One access key pair accepted by SigV4 verification.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The access key id (`AKIA…`), as named in the `Credential=` scope.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// How the store and its wire protocol behave.
///
/// Access keys are configured by the embedding program, e.g. from its own configuration file
/// or environment: `Config { credentials: vec![Credentials { .. }], ..Config::default() }`.
/// Requests must be signed (AWS Signature Version 4, service `apigateway`, any region) with
/// one of them; [`Config::auth_disabled`] turns verification off (tests only).
///
/// # Example
/// ```
/// use apigw_control::{Config, Credentials};
/// let config = Config {
///     credentials: vec![Credentials {
///         access_key_id: "AKIDEXAMPLE".into(),
///         secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
///     }],
///     ..Config::default()
/// };
/// assert!(!config.auth_disabled);
/// assert_eq!(config.max_body_bytes, 6 * 1024 * 1024);
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// Accepted access keys.
    pub credentials: Vec<Credentials>,
    /// Skip SigV4 verification (off by default; for tests).
    pub auth_disabled: bool,
    /// The account id shown in messages (`Invalid API identifier specified 123456789012:id`).
    pub account_id: String,
    /// The region shown in exported OpenAPI hosts (`{id}.execute-api.{region}.amazonaws.com`).
    pub region: String,
    /// Largest accepted request body in bytes (default 6 MiB); larger bodies get a 413.
    pub max_body_bytes: usize,
    /// Largest accepted clock difference for a signature's `X-Amz-Date`, in seconds
    /// (default 900, as AWS).
    pub max_clock_skew_secs: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            credentials: Vec::new(),
            auth_disabled: false,
            account_id: "123456789012".into(),
            region: "us-east-1".into(),
            max_body_bytes: 6 * 1024 * 1024,
            max_clock_skew_secs: 900,
        }
    }
}

/// The control plane's store of REST API definitions. `Send + Sync`: share it behind an
/// `Arc`; every operation is atomic (all of it is applied and persisted, or none).
///
/// # Example
/// ```
/// use apigw_control::{Config, Store};
/// let store = Store::in_memory(Config { auth_disabled: true, ..Config::default() });
/// let r = store.handle("POST", "/restapis", "", &[], br#"{"name": "pets"}"#);
/// assert_eq!(r.status, 201);
/// ```
#[derive(Debug)]
pub struct Store {
    pub(crate) config: Config,
    dir: Option<PathBuf>,
    state: RwLock<State>,
    snapshots: Mutex<HashMap<(String, String), Arc<Snapshot>>>,
    /// Held (exclusively locked) for the store's lifetime when persisted.
    _lock: Option<File>,
    /// Incremented by every successful change.
    generation: AtomicU64,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Store {
    /// A store that keeps its state in memory only.
    pub fn in_memory(config: Config) -> Store {
        Store {
            config,
            dir: None,
            state: RwLock::new(State {
                version: STATE_VERSION,
                ..State::default()
            }),
            snapshots: Mutex::new(HashMap::new()),
            _lock: None,
            generation: AtomicU64::new(0),
        }
    }

    /// Opens (creating if needed) a store persisted in `dir/state.json`. Temporary files left
    /// by an interrupted write are removed; the last completed state is loaded. The directory
    /// belongs to one store at a time: `dir/state.lock` is locked exclusively while the store
    /// lives.
    ///
    /// # Errors
    /// I/O errors; `WouldBlock` when another store (in this or another process) has the
    /// directory open; `InvalidData` when the state file cannot be parsed (it is left
    /// untouched).
    pub fn open(dir: impl AsRef<Path>, config: Config) -> io::Result<Store> {
        let dir = dir.as_ref().to_owned();
        fs::create_dir_all(&dir)?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(LOCK_FILE))?;
        if let Err(e) = lock.try_lock() {
            return Err(match e {
                fs::TryLockError::WouldBlock => io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!("{} is in use by another store", dir.display()),
                ),
                fs::TryLockError::Error(e) => e,
            });
        }
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                fs::remove_file(entry.path())?;
            }
        }
        let path = dir.join(STATE_FILE);
        let state = match fs::read(&path) {
            Ok(bytes) => {
                let state: State = serde_json::from_slice(&bytes).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{}: {e}", path.display()),
                    )
                })?;
                if state.version > STATE_VERSION {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "{}: state format version {} is newer than this build ({STATE_VERSION})",
                            path.display(),
                            state.version
                        ),
                    ));
                }
                state
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => State {
                version: STATE_VERSION,
                ..State::default()
            },
            Err(e) => return Err(e),
        };
        Ok(Store {
            config,
            dir: Some(dir),
            state: RwLock::new(state),
            snapshots: Mutex::new(HashMap::new()),
            _lock: Some(lock),
            generation: AtomicU64::new(0),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A counter that every successful change increments (starting at 0 when the store is
    /// created or opened): a gateway can poll it cheaply and refresh its stage snapshots
    /// when it moves.
    ///
    /// # Example
    /// ```
    /// use apigw_control::{Config, Store};
    /// let store = Store::in_memory(Config::default());
    /// let before = store.generation();
    /// store.create_rest_api(serde_json::json!({"name": "a"}).as_object().unwrap()).unwrap();
    /// assert_eq!(store.generation(), before + 1);
    /// ```
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Runs `f` on the current state.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&State) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let guard = self.state.read().unwrap_or_else(PoisonError::into_inner);
        f(&guard)
    }

    /// Runs `f` on a copy of the state; when it succeeds, persists the copy and makes it
    /// current. Writers are serialized; a failure (or panic) in `f` leaves the state as it was.
    pub(crate) fn mutate<T>(
        &self,
        f: impl FnOnce(&mut State) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut guard = self.state.write().unwrap_or_else(PoisonError::into_inner);
        let mut next = guard.clone();
        let out = f(&mut next)?;
        if let Some(dir) = &self.dir {
            persist(dir, &next).map_err(|e| {
                ApiError::new(
                    ErrorKind::Internal,
                    format!("The definition could not be saved: {e}"),
                )
            })?;
        }
        *guard = next;
        self.generation.fetch_add(1, Ordering::Release);
        Ok(out)
    }

    /// The compiled snapshot of a deployment, compiled on first use and cached.
    pub(crate) fn cached_snapshot(
        &self,
        api_id: &str,
        deployment_id: &str,
        build: impl FnOnce() -> Result<Snapshot, ApiError>,
    ) -> Result<Arc<Snapshot>, ApiError> {
        let key = (api_id.to_owned(), deployment_id.to_owned());
        if let Some(s) = self
            .snapshots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(Arc::clone(s));
        }
        let snapshot = Arc::new(build()?);
        let mut cache = self
            .snapshots
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Snapshots nobody holds any more (a gateway keeps the ones it serves) are dropped, so
        // the cache does not grow with every deployment ever made; one asked for again is
        // compiled again.
        cache.retain(|_, s| Arc::strong_count(s) > 1);
        cache.insert(key, Arc::clone(&snapshot));
        Ok(snapshot)
    }

    /// Drops cached snapshots of `api_id` (all deployments when `deployment_id` is `None`).
    pub(crate) fn forget_snapshots(&self, api_id: &str, deployment_id: Option<&str>) {
        self.snapshots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(a, d), _| a != api_id || deployment_id.is_some_and(|id| id != d));
    }
}

/// Writes `state` to `dir/state.json` atomically: a temporary file in the same directory is
/// written and fsynced, renamed over the state file, and the directory is fsynced.
fn persist(dir: &Path, state: &State) -> io::Result<()> {
    let bytes = serde_json::to_vec_pretty(state).map_err(io::Error::other)?;
    let tmp = dir.join(format!(
        "{TEMP_PREFIX}{}.{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, dir.join(STATE_FILE))?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Seconds since the Unix epoch.
pub(crate) fn now_epoch() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `Invalid Resource identifier specified`: what AWS answers for an unknown REST API or
/// resource id in the operations below a REST API (SPEC §8.2).
pub(crate) fn invalid_resource() -> ApiError {
    ApiError::not_found("Invalid Resource identifier specified")
}

/// The REST API `id`, for operations below it.
pub(crate) fn api_mut<'a>(s: &'a mut State, id: &str) -> Result<&'a mut RestApi, ApiError> {
    s.rest_apis.get_mut(id).ok_or_else(invalid_resource)
}

/// The REST API `id`, for operations below it.
pub(crate) fn api_ref<'a>(s: &'a State, id: &str) -> Result<&'a RestApi, ApiError> {
    s.rest_apis.get(id).ok_or_else(invalid_resource)
}

/// The method `http_method` of resource `rid` of API `api`.
pub(crate) fn method_mut<'a>(
    s: &'a mut State,
    api: &str,
    rid: &str,
    http_method: &str,
) -> Result<&'a mut Method, ApiError> {
    api_mut(s, api)?
        .resources
        .get_mut(rid)
        .ok_or_else(invalid_resource)?
        .methods
        .get_mut(http_method)
        .ok_or_else(|| ApiError::not_found("Invalid Method identifier specified"))
}

/// The method `http_method` of resource `rid` of API `api`.
pub(crate) fn method_ref<'a>(
    s: &'a State,
    api: &str,
    rid: &str,
    http_method: &str,
) -> Result<&'a Method, ApiError> {
    api_ref(s, api)?
        .resources
        .get(rid)
        .ok_or_else(invalid_resource)?
        .methods
        .get(http_method)
        .ok_or_else(|| ApiError::not_found("Invalid Method identifier specified"))
}

/// `Invalid Integration identifier specified`.
pub(crate) fn invalid_integration() -> ApiError {
    ApiError::not_found("Invalid Integration identifier specified")
}

/// The integration of a method.
pub(crate) fn integration_ref(m: &Method) -> Result<&Integration, ApiError> {
    m.integration.as_ref().ok_or_else(invalid_integration)
}
