//! The definition store: state behind a lock, persisted atomically to one JSON file.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::deploy::Snapshot;
use crate::error::{ApiError, ErrorKind};
use crate::model::{Frozen, Integration, Method, RestApi, State, is_digest};

/// The name of the state file inside the state directory.
pub const STATE_FILE: &str = "state.json";
/// The lock file that keeps a second process from opening the same state directory.
pub const LOCK_FILE: &str = "state.lock";
/// The directory (inside the state directory) of the frozen definitions of deployments no
/// stage serves, one file per distinct definition, named by the SHA-256 of its compact JSON
/// (`definitions/<hex>.json`). Created when the first such deployment is saved.
pub const DEFINITIONS_DIR: &str = "definitions";
const TEMP_PREFIX: &str = ".state.json.tmp.";
/// Format 1 kept every deployment's definition inline in `state.json`; format 2 keeps inline
/// only those of deployments a stage serves and references the others' by digest: each
/// distinct one is a file in [`DEFINITIONS_DIR`], written once.
const STATE_VERSION: u32 = 2;

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
    /// The budgets deployments compile templates and selection patterns with (default: the
    /// engines' defaults; see `apigw_mapping::EngineLimits`).
    pub engine_limits: apigw_mapping::EngineLimits,
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
            engine_limits: apigw_mapping::EngineLimits::default(),
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
    /// Compiled snapshots of the deployments that stages point at (none of any other).
    snapshots: Mutex<HashMap<(String, String), Arc<Snapshot>>>,
    /// The digests whose definition file is in [`DEFINITIONS_DIR`] (persisted stores only).
    on_disk: Mutex<HashSet<String>>,
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
            on_disk: Mutex::new(HashSet::new()),
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
        let on_disk = clean_definitions(&dir)?;
        let path = dir.join(STATE_FILE);
        let state = match fs::read(&path) {
            Ok(bytes) => load_state(&dir, &bytes).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: {e}", path.display()),
                )
            })?,
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
            on_disk: Mutex::new(on_disk),
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
        next.version = STATE_VERSION;
        if let Some(dir) = &self.dir {
            let mut on_disk = self.on_disk.lock().unwrap_or_else(PoisonError::into_inner);
            persist(dir, &next, &mut on_disk).map_err(|e| {
                ApiError::new(
                    ErrorKind::Internal,
                    format!("The definition could not be saved: {e}"),
                )
            })?;
        }
        *guard = next;
        self.prune_snapshots(&guard);
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
        // Kept only while a stage points at the deployment. Checked under the state lock,
        // which `mutate` holds while it prunes: a stage moved meanwhile is seen here.
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        if served(&state, api_id, deployment_id) {
            self.snapshots
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(key, Arc::clone(&snapshot));
        }
        Ok(snapshot)
    }

    /// Drops the snapshots of deployments that no stage of `state` points at.
    fn prune_snapshots(&self, state: &State) {
        self.snapshots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(a, d), _| served(state, a, d));
    }

    /// How many compiled deployment snapshots the store holds: at most one per stage (a
    /// snapshot a gateway still uses stays alive through its own `Arc`).
    ///
    /// # Example
    /// ```
    /// use apigw_control::{Config, Store};
    /// let store = Store::in_memory(Config::default());
    /// assert_eq!(store.compiled_snapshot_count(), 0);
    /// ```
    pub fn compiled_snapshot_count(&self) -> usize {
        self.snapshots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// How many distinct frozen definitions the deployments of `api` hold in memory.
    #[cfg(test)]
    pub(crate) fn frozen_definition_count(&self, api: &str) -> usize {
        self.read(|s| {
            let mut distinct: Vec<&Frozen> = Vec::new();
            for d in api_ref(s, api)?.deployments.values() {
                if !distinct.iter().any(|f| f.shares(&d.definition)) {
                    distinct.push(&d.definition);
                }
            }
            Ok(distinct.len())
        })
        .unwrap_or(0)
    }
}

/// Whether a stage of API `api` in `state` points at deployment `deployment`.
fn served(state: &State, api: &str, deployment: &str) -> bool {
    state
        .rest_apis
        .get(api)
        .is_some_and(|a| a.stages.values().any(|st| st.deployment_id == deployment))
}

/// Parses a state file of format 1 (definitions inline) or 2 (definitions referenced by
/// digest, read from [`DEFINITIONS_DIR`]); deployments that froze the same definition share
/// it.
fn load_state(dir: &Path, bytes: &[u8]) -> Result<State, String> {
    let mut raw: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let version = raw.get("version").and_then(serde_json::Value::as_u64);
    if let Some(v) = version.filter(|v| *v > u64::from(STATE_VERSION)) {
        return Err(format!(
            "state format version {v} is newer than this build ({STATE_VERSION})"
        ));
    }
    let mut files: HashMap<String, serde_json::Value> = HashMap::new();
    if let Some(apis) = raw
        .get_mut("rest_apis")
        .and_then(serde_json::Value::as_object_mut)
    {
        for api in apis.values_mut() {
            let Some(deployments) = api
                .get_mut("deployments")
                .and_then(serde_json::Value::as_object_mut)
            else {
                continue;
            };
            for d in deployments.values_mut() {
                let Some(slot) = d.get_mut("definition") else {
                    continue;
                };
                let Some(digest) = slot.as_str().map(str::to_owned) else {
                    continue;
                };
                if !is_digest(&digest) {
                    return Err(format!("invalid definition reference {digest:?}"));
                }
                if !files.contains_key(&digest) {
                    let path = dir.join(DEFINITIONS_DIR).join(format!("{digest}.json"));
                    let content = fs::read(&path)
                        .map_err(|e| format!("{}: {e}", path.display()))
                        .and_then(|b| {
                            serde_json::from_slice(&b)
                                .map_err(|e| format!("{}: {e}", path.display()))
                        })?;
                    files.insert(digest.clone(), content);
                }
                *slot = files[&digest].clone();
            }
        }
    }
    let mut state: State = serde_json::from_value(raw).map_err(|e| e.to_string())?;
    let mut shared: HashMap<String, Frozen> = HashMap::new();
    for api in state.rest_apis.values_mut() {
        for d in api.deployments.values_mut() {
            let f = shared
                .entry(d.definition.digest().to_owned())
                .or_insert_with(|| d.definition.clone());
            d.definition = f.clone();
        }
    }
    Ok(state)
}

/// Lists the definition files of `dir`, removing temporary
/// files an interrupted write left and files whose name is not a digest.
fn clean_definitions(dir: &Path) -> io::Result<HashSet<String>> {
    let defs = dir.join(DEFINITIONS_DIR);
    let mut on_disk = HashSet::new();
    let entries = match fs::read_dir(&defs) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(on_disk),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        match name.strip_suffix(".json").filter(|d| is_digest(d)) {
            Some(digest) => {
                on_disk.insert(digest.to_owned());
            }
            None => fs::remove_file(entry.path())?,
        }
    }
    Ok(on_disk)
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory is written and
/// fsynced, renamed over `path`, and the directory is fsynced.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        "{TEMP_PREFIX}{}.{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Persists `state` in `dir`. The definitions of deployments a stage serves are written
/// inline in `state.json` (as format 1 did: what a gateway and `apigw-lint` read); every
/// other deployment references its definition's file, `definitions/<digest>.json`, written
/// once. Order: the referenced files not on disk yet (each atomically), then `state.json`
/// (atomically), then the files nothing references any more are removed. A crash at any
/// point leaves a loadable state: `state.json` never references a file that is not complete
/// on disk.
fn persist(dir: &Path, state: &State, on_disk: &mut HashSet<String>) -> io::Result<()> {
    let defs = dir.join(DEFINITIONS_DIR);
    let mut referenced = HashSet::new();
    // Deployments serialize their definition as its digest; served ones get it inline.
    let mut value = serde_json::to_value(state).map_err(io::Error::other)?;
    for (api_id, api) in &state.rest_apis {
        for (id, d) in &api.deployments {
            let digest = d.definition.digest();
            if api.stages.values().any(|st| st.deployment_id == *id) {
                let slot = value
                    .get_mut("rest_apis")
                    .and_then(|v| v.get_mut(api_id))
                    .and_then(|v| v.get_mut("deployments"))
                    .and_then(|v| v.get_mut(id))
                    .and_then(|v| v.get_mut("definition"))
                    .ok_or_else(|| io::Error::other("deployment missing from the state"))?;
                *slot = serde_json::to_value(&*d.definition).map_err(io::Error::other)?;
                continue;
            }
            if !on_disk.contains(digest) {
                if on_disk.is_empty() {
                    fs::create_dir_all(&defs)?;
                }
                write_atomically(&defs.join(format!("{digest}.json")), &d.definition.to_vec())?;
                on_disk.insert(digest.to_owned());
            }
            referenced.insert(digest);
        }
    }
    let bytes = serde_json::to_vec_pretty(&value).map_err(io::Error::other)?;
    write_atomically(&dir.join(STATE_FILE), &bytes)?;
    let unreferenced: Vec<String> = on_disk
        .iter()
        .filter(|d| !referenced.contains(d.as_str()))
        .cloned()
        .collect();
    for digest in unreferenced {
        match fs::remove_file(defs.join(format!("{digest}.json"))) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            // Left for the next change (or the next open) to remove.
            Err(_) => continue,
        }
        on_disk.remove(&digest);
    }
    Ok(())
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
