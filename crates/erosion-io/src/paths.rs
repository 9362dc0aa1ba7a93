//! Output paths that would overwrite an input or each other are refused before any work.

use erosion_core::{Error, Result};
use std::path::{Path, PathBuf};

/// The path as the file system names it: canonicalised when the file exists, otherwise its
/// canonicalised directory joined with its name (or, failing that, the path made absolute).
pub fn resolved(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match (dir.canonicalize(), path.file_name()) {
        (Ok(d), Some(name)) => d.join(name),
        _ => std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf()),
    }
}

/// Refuses (a usage error, exit 2) an output path equal to an input path or to another output
/// path, comparing [`resolved`] paths, so `./a.csv`, `a.csv` and a symbolic link to it are the
/// same file. Each path comes with the flag that named it, for the message.
pub fn refuse_overlap(outputs: &[(&str, &Path)], inputs: &[(&str, &Path)]) -> Result<()> {
    let outs: Vec<(&str, &Path, PathBuf)> =
        outputs.iter().map(|&(f, p)| (f, p, resolved(p))).collect();
    for (i, (flag, path, r)) in outs.iter().enumerate() {
        for &(in_flag, in_path) in inputs {
            if *r == resolved(in_path) {
                return Err(Error::usage(format!(
                    "{flag} {} is the input {in_flag} {}: writing it would destroy the input; \
                     give another {flag} path",
                    path.display(),
                    in_path.display()
                )));
            }
        }
        for (other_flag, other_path, other) in &outs[..i] {
            if r == other {
                return Err(Error::usage(format!(
                    "{flag} {} and {other_flag} {} are the same file: one output would \
                     overwrite the other; give them different paths",
                    path.display(),
                    other_path.display()
                )));
            }
        }
    }
    Ok(())
}

/// A path's extension in lower case (`""` when it has none): what decides a file's format.
pub fn extension_of(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Whether process `pid` is known to have ended: `true` only where `/proc` lists processes
/// (Linux) and has no entry for it. Elsewhere nothing is known, and a lock or scratch
/// directory named after a process is left alone.
pub fn process_gone(pid: u32) -> bool {
    Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_file_by_any_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        std::fs::write(&a, "x\n").unwrap();
        let dotted = dir.path().join(".").join("a.csv");
        let e = refuse_overlap(&[("--out", &dotted)], &[("--events", &a)]).unwrap_err();
        assert!(e.to_string().contains("--events"), "{e}");
        let b = dir.path().join("b.csv");
        let e = refuse_overlap(&[("--out", &b), ("--exclusions", &b)], &[]).unwrap_err();
        assert!(e.to_string().contains("same file"), "{e}");
        refuse_overlap(&[("--out", &b)], &[("--events", &a)]).unwrap();
    }
}
