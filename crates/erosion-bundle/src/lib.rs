//! The model bundle file shared by `erosion` (train, evaluate, audit, export) and
//! `erosion-score`: a one-line JSON header (format, versions, checksum) and the JSON
//! payload after it. The checksum is the SHA-256 of the payload bytes, so any edit or
//! corruption is refused at load time rather than producing a wrong score.

use erosion_core::Error;
use erosion_features::FeatureConfig;
use erosion_inference::TrainedModel;
use erosion_monitor::Reference;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The bundle layout this erosion writes; it reads this one and every earlier one. The one
/// version number of a model's layout (the payload's model has none of its own since format 2).
///
/// - 1: the first layout; its model also carried a `format_version` (ignored on reading).
/// - 2: the model types moved to `erosion-inference`, without that second number.
pub const BUNDLE_FORMAT_VERSION: u32 = 2;
const FORMAT: &str = "erosion-model-bundle";
/// The erosion version writing bundles.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What the model predicts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetDef {
    /// Target column in the training table.
    pub column: String,
    /// Its positive value, when it was text.
    pub positive: Option<String>,
    /// In words (docs/CONTRACT.md's churn and erosion definitions for erosion's labels).
    pub definition: String,
}

/// Where the training data came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Training table path as given.
    pub file: String,
    /// SHA-256 of the training table's bytes.
    pub sha256: String,
    /// Rows in the table.
    pub rows: usize,
    /// Labelled rows trained on.
    pub labelled_rows: usize,
    /// First and last cutoff (YYYY-MM-DD), when the table has cutoffs.
    pub cutoff_range: Option<(String, String)>,
}

/// Everything `evaluate`, `audit`, `export` and `erosion-score` need.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bundle {
    /// Short id: the first 12 hex digits of the payload's checksum at training time.
    pub model_id: String,
    /// The erosion version that wrote the bundle.
    pub tool_version: String,
    /// What the model predicts.
    pub target: TargetDef,
    /// Id column (never an input).
    pub id_column: Option<String>,
    /// Sensitive attributes kept out of the inputs, available to audits.
    pub sensitive: Vec<String>,
    /// Every column kept out of the inputs (id, labels, cutoff, sensitive).
    pub excluded: Vec<String>,
    /// Where the training data came from.
    pub fingerprint: Fingerprint,
    /// How the training table was made (windows, horizon, population rule, observed-until),
    /// when `erosion features` made it: raw-mode `erosion-score` computes features with it,
    /// never with a default. `None` for a user's own table.
    #[serde(default)]
    pub feature_config: Option<FeatureConfig>,
    /// The trained, calibrated model with its thresholds and record.
    pub model: TrainedModel,
    /// The training reference of each input and of the calibrated score, which `erosion
    /// monitor` compares tonight's data with. `None` in a bundle written before erosion kept
    /// one (it still loads; retrain to monitor it). Left out of the payload when `None`, so
    /// such a bundle's bytes are unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    format_version: u32,
    tool_version: String,
    checksum: String,
}

/// Whether version `a` (`MAJOR.MINOR.PATCH`, pre-release suffixes ignored) is newer than `b`.
/// An unparsable version counts as newer: refusing is safer than guessing.
fn newer(a: &str, b: &str) -> bool {
    let parse = |v: &str| -> Option<(u64, u64, u64)> {
        let core = v.split(['-', '+']).next()?;
        let mut it = core.split('.').map(|p| p.parse::<u64>().ok());
        Some((it.next()??, it.next()??, it.next()??))
    };
    match (parse(a), parse(b)) {
        (Some(a), Some(b)) => a > b,
        _ => true,
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a file's bytes, hex.
pub fn file_sha256(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    Ok(sha256_hex(&bytes))
}

impl Bundle {
    /// Writes the bundle atomically; sets `model_id` from the payload's checksum.
    pub fn write(&mut self, path: &Path) -> Result<(), Error> {
        self.model_id = String::new();
        let json_err = |e: serde_json::Error| Error::io(path, e);
        let unsigned = serde_json::to_vec(&*self).map_err(json_err)?;
        self.model_id = sha256_hex(&unsigned)[..12].to_string();
        // Compact JSON: a 300-tree forest is 81 MB pretty-printed and under a third of it
        // compact; `jq . model.json` (after the header line) prints it for people.
        let payload = serde_json::to_vec(&*self).map_err(json_err)?;
        // Never write a bundle that would not read back (a value JSON cannot hold, say).
        serde_json::from_slice::<Bundle>(&payload).map_err(|e| {
            Error::io(
                path,
                format!("internal error: the bundle would not read back ({e}); nothing written"),
            )
        })?;
        let header = Header {
            format: FORMAT.into(),
            format_version: BUNDLE_FORMAT_VERSION,
            tool_version: TOOL_VERSION.into(),
            checksum: format!("sha256:{}", sha256_hex(&payload)),
        };
        let head = serde_json::to_vec(&header).map_err(json_err)?;
        erosion_io::atomic_write(path, |w| {
            use std::io::Write;
            w.write_all(&head)
                .and_then(|_| w.write_all(b"\n"))
                .and_then(|_| w.write_all(&payload))
                .and_then(|_| w.write_all(b"\n"))
                .map_err(|e| Error::write(path, e))
        })?;
        Ok(())
    }

    /// Reads and checks a bundle: refuses a corrupt file, a checksum mismatch, an unknown
    /// format version or a bundle from a newer erosion, each with what to do.
    pub fn read(path: &Path) -> Result<Bundle, Error> {
        if !path.exists() {
            return Err(Error::MissingFile {
                path: path.to_path_buf(),
            });
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let refuse = |why: String| Error::Unreadable {
            path: path.to_path_buf(),
            format: "an erosion model bundle".into(),
            message: why,
        };
        let nl = bytes
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| refuse("no header line; was it written by `erosion train`?".into()))?;
        let header: Header = serde_json::from_slice(&bytes[..nl])
            .map_err(|e| refuse(format!("the header line is not a bundle header ({e})")))?;
        if header.format != FORMAT {
            return Err(refuse(format!(
                "format {:?} is not {FORMAT:?}",
                header.format
            )));
        }
        if header.format_version > BUNDLE_FORMAT_VERSION {
            return Err(refuse(format!(
                "bundle format {} was written by erosion {}, newer than this erosion {} (format {}); upgrade erosion to read it",
                header.format_version,
                header.tool_version,
                TOOL_VERSION,
                BUNDLE_FORMAT_VERSION
            )));
        }
        if newer(&header.tool_version, TOOL_VERSION) {
            return Err(refuse(format!(
                "written by erosion {}, newer than this erosion {TOOL_VERSION}; it may hold what this version cannot score correctly: upgrade erosion to read it",
                header.tool_version
            )));
        }
        if header.format_version < 1 {
            return Err(refuse(format!(
                "unknown bundle format version {}",
                header.format_version
            )));
        }
        let mut payload = &bytes[nl + 1..];
        if payload.last() == Some(&b'\n') {
            payload = &payload[..payload.len() - 1];
        }
        let sum = format!("sha256:{}", sha256_hex(payload));
        if sum != header.checksum {
            return Err(refuse(format!(
                "checksum mismatch (header {}, content {sum}): the file was modified or corrupted; retrain or restore it",
                header.checksum
            )));
        }
        serde_json::from_slice(payload).map_err(|e| refuse(format!("payload: {e}")))
    }
}
