//! One commit of a night's outputs: a lock against a second run, every file staged beside its
//! destination, renamed into place, and a manifest renamed last.
//!
//! The protocol, in order:
//! 1. `<out>.lock` is created exclusively and holds the run's pid ([`Lock::acquire`]). A lock
//!    whose pid is not running (no `/proc/<pid>`) is stale and is taken over, with a note;
//!    any other lock refuses the run (exit 2) before any work.
//! 2. The scores, the exclusions and, for a CSV, the run record `<out>.erosion.json` are written
//!    whole to hidden temporary files in their destination directories ([`Staged`]).
//! 3. The previous `<out>.manifest.json` is removed, the files are renamed over their
//!    destinations, then the new manifest (file names, row counts, byte sizes, SHA-256) is
//!    written atomically, last.
//! 4. The lock is removed.
//!
//! A reader should trust a pair of scores and exclusions only when the manifest is present and
//! matches the files ([`verify`]): a run killed during step 3 leaves no manifest (or, killed
//! before it, the previous run's manifest and files untouched).

use crate::run::Failure;
use erosion_core::Error;
use erosion_io::polars::prelude::{DataFrame, ParquetReader, SerReader};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// `<out>` with `suffix` appended to its file name.
fn beside(out: &Path, suffix: &str) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    out.with_file_name(name)
}

/// `scores.csv` → `scores.csv.lock`.
pub fn lock_path(out: &Path) -> PathBuf {
    beside(out, ".lock")
}

/// `scores.csv` → `scores.csv.manifest.json`.
pub fn manifest_path(out: &Path) -> PathBuf {
    beside(out, ".manifest.json")
}

/// The lock on a set of outputs, removed when dropped.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    /// Takes `<out>.lock`, or refuses (exit 2) while another live process holds it.
    pub fn acquire(out: &Path) -> Result<Lock, Failure> {
        let path = lock_path(out);
        for _ in 0..3 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    writeln!(f, "{}", std::process::id())
                        .and_then(|()| f.sync_all())
                        .map_err(|e| Failure::Environment(Error::io(&path, e)))?;
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    let pid: Option<u32> = text.trim().parse().ok();
                    match pid {
                        Some(pid) if erosion_io::process_gone(pid) => {
                            erosion_io::errln!(
                                "note: taking over the stale lock {} of erosion-score process {pid}, which is no longer running",
                                path.display()
                            );
                            match std::fs::remove_file(&path) {
                                Ok(()) => {}
                                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                                Err(e) => return Err(Failure::Environment(Error::io(&path, e))),
                            }
                        }
                        _ => {
                            let who = match pid {
                                Some(pid) => {
                                    format!("erosion-score process {pid}, which is still running")
                                }
                                None => "a run that has not written its process id".into(),
                            };
                            return Err(Failure::Input(Error::usage(format!(
                                "{} is held by {who}: another run is writing these outputs. Wait \
                                 for it to finish or give another --out; if no run is going, \
                                 remove {}",
                                path.display(),
                                path.display()
                            ))));
                        }
                    }
                }
                Err(e) => return Err(Failure::Environment(Error::io(&path, e))),
            }
        }
        Err(Failure::Input(Error::usage(format!(
            "{}: could not take the lock (other runs keep taking it); try again",
            path.display()
        ))))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// One output written whole to a temporary file beside its destination; dropped uncommitted,
/// the temporary file is removed.
#[derive(Debug)]
pub struct Staged {
    /// Role in the manifest (`scores`, `exclusions`, `run_record`).
    pub role: &'static str,
    /// Destination.
    pub dest: PathBuf,
    tmp: PathBuf,
    rows: Option<usize>,
    done: bool,
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

fn staged_name(dest: &Path) -> PathBuf {
    let name = dest.file_name().unwrap_or_default().to_string_lossy();
    // The extension is kept last so that the writer picks the same format.
    let ext = dest.extension().unwrap_or_default().to_string_lossy();
    dest.with_file_name(format!(".{name}.staged-{}.{ext}", std::process::id()))
}

/// Writes `df` (with `note` as the run record) to temporary files for `dest` through
/// `erosion_io::write_table_noted`: the table and, for a CSV with a note, its sidecar.
pub fn stage(
    role: &'static str,
    dest: &Path,
    df: &mut DataFrame,
    note: Option<(&str, &str)>,
) -> Result<Vec<Staged>, Failure> {
    let tmp = staged_name(dest);
    let mut staged = vec![Staged {
        role,
        dest: dest.to_path_buf(),
        tmp: tmp.clone(),
        rows: Some(df.height()),
        done: false,
    }];
    let sidecar = erosion_io::note_sidecar(&tmp);
    if note.is_some() && !matches!(erosion_io::extension_of(dest).as_str(), "parquet" | "pq") {
        staged.push(Staged {
            role: "run_record",
            dest: erosion_io::note_sidecar(dest),
            tmp: sidecar,
            rows: None,
            done: false,
        });
    }
    erosion_io::write_table_noted(&tmp, df, note).map_err(Failure::Environment)?;
    Ok(staged)
}

/// [`stage`] for a table held in parts: the files `parts` (Parquet, written by a partitioned
/// run in id order) concatenated, a part at a time, into the staged file (and, for a CSV with a
/// note, its sidecar), as [`stage`] would write them whole.
pub fn stage_parts(
    role: &'static str,
    dest: &Path,
    parts: &[PathBuf],
    note: Option<(&str, &str)>,
) -> Result<Vec<Staged>, Failure> {
    let tmp = staged_name(dest);
    let mut sink = erosion_io::TableSink::create(&tmp, note).map_err(Failure::Environment)?;
    for part in parts {
        let file =
            std::fs::File::open(part).map_err(|e| Failure::Environment(Error::io(part, e)))?;
        let mut df = ParquetReader::new(file)
            .finish()
            .map_err(|e| Failure::Internal(format!("{}: {e}", part.display())))?;
        sink.write(&mut df).map_err(Failure::Environment)?;
    }
    let rows = sink.rows();
    let mut staged = vec![Staged {
        role,
        dest: dest.to_path_buf(),
        tmp: tmp.clone(),
        rows: Some(rows),
        done: false,
    }];
    if note.is_some() && !matches!(erosion_io::extension_of(dest).as_str(), "parquet" | "pq") {
        staged.push(Staged {
            role: "run_record",
            dest: erosion_io::note_sidecar(dest),
            tmp: erosion_io::note_sidecar(&tmp),
            rows: None,
            done: false,
        });
    }
    sink.finish().map_err(Failure::Environment)?;
    Ok(staged)
}

fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        n += k as u64;
        h.update(&buf[..k]);
    }
    let hex = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((hex, n))
}

/// How the manifest names a file: its name when it is in the manifest's directory, otherwise
/// its full path.
fn manifest_name(manifest: &Path, file: &Path) -> String {
    let dir = erosion_io::resolved(manifest)
        .parent()
        .map(Path::to_path_buf);
    let full = erosion_io::resolved(file);
    match (dir, full.parent(), full.file_name()) {
        (Some(d), Some(p), Some(n)) if d == p => n.to_string_lossy().into_owned(),
        _ => full.to_string_lossy().into_owned(),
    }
}

/// Renames every staged file into place and writes the manifest last (see the module docs).
/// Returns the manifest's path.
pub fn commit(out: &Path, model_id: &str, mut files: Vec<Staged>) -> Result<PathBuf, Failure> {
    let manifest = manifest_path(out);
    let env = |p: &Path, e: std::io::Error| Failure::Environment(Error::io(p, e));
    // Checksums of the staged files, before anything changes at the destinations.
    let mut entries = Vec::new();
    for f in &files {
        let (sha, bytes) = sha256_file(&f.tmp).map_err(|e| env(&f.tmp, e))?;
        let mut entry = serde_json::json!({
            "role": f.role,
            "file": manifest_name(&manifest, &f.dest),
            "bytes": bytes,
            "sha256": sha,
        });
        if let Some(rows) = f.rows {
            entry["rows"] = rows.into();
        }
        entries.push(entry);
    }
    match std::fs::remove_file(&manifest) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(env(&manifest, e)),
    }
    for f in &mut files {
        std::fs::rename(&f.tmp, &f.dest).map_err(|e| env(&f.dest, e))?;
        f.done = true;
    }
    let doc = serde_json::json!({
        "format": "erosion-score-manifest",
        "version": 1,
        "model_id": model_id,
        "files": entries,
    });
    let text = serde_json::to_string_pretty(&doc).expect("JSON of strings and numbers") + "\n";
    erosion_io::atomic_write(&manifest, |w| {
        w.write_all(text.as_bytes())
            .map_err(|e| Error::io(&manifest, e))
    })
    .map_err(Failure::Environment)?;
    Ok(manifest)
}

/// Checks a manifest against the files it names (present, same size, same SHA-256): what a
/// reader of a night's outputs should do before trusting them. Returns the `(role, path)` of
/// each file.
pub fn verify(manifest: &Path) -> Result<Vec<(String, PathBuf)>, Error> {
    let text = std::fs::read_to_string(manifest).map_err(|e| Error::io(manifest, e))?;
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::io(manifest, e))?;
    let bad = |m: String| Error::usage(format!("{}: {m}", manifest.display()));
    if doc["format"] != "erosion-score-manifest" {
        return Err(bad("not an erosion-score manifest".into()));
    }
    let dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let files = doc["files"]
        .as_array()
        .ok_or_else(|| bad("no files".into()))?;
    let mut out = Vec::new();
    for f in files {
        let role = f["role"].as_str().unwrap_or_default().to_string();
        let name = f["file"]
            .as_str()
            .ok_or_else(|| bad("a file without a name".into()))?;
        let path = dir.join(name);
        let (sha, bytes) = sha256_file(&path).map_err(|e| Error::io(&path, e))?;
        if Some(sha.as_str()) != f["sha256"].as_str() || Some(bytes) != f["bytes"].as_u64() {
            return Err(bad(format!(
                "{} does not match the manifest (another run, or a partial one, changed it)",
                path.display()
            )));
        }
        out.push((role, path));
    }
    Ok(out)
}
