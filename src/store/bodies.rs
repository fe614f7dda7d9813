//! The body log: article and revision bodies (plain text + sanitised HTML), appended to one
//! file, `<store>/bodies`, and referenced from the sled values by offset and length.
//!
//! Why not in sled: sled 0.34 keeps up to 16 values in a B-tree leaf and copies the whole
//! leaf on every insert into it (and rewrites it as a separate "blob" file past a size), so
//! 20–40 KB bodies made every article write copy and rewrite ~360 KB leaves. On the
//! 1,000-feed farm that was most of the cold run's CPU and a 2 GB store after 6 minutes
//! (`bench/RESULTS.md`). Out of the tree, sled values are a few hundred bytes, an unchanged
//! body (a new `seen_in`, a passed watch time) is never written again, and an article and
//! its latest revision share one copy.
//!
//! Record: `FKB1` | payload length (u32 LE) | first 8 bytes of the payload's BLAKE3 |
//! payload = LZ4 block (size prepended) of the JSON `{"text": …, "html": …}`.
//! Records are only appended. Garbage collection leaves the bodies of removed articles in
//! place (the space is reported by `feedkeeper check`); a torn record at the end (a crash
//! mid-append) is never referenced, because the sled value naming it is written after it.
//!
//! Durability: [`BodyLog::sync`] runs before every sled flush ([`super::Store::flush`]), so
//! a flushed sled value never names a body the disk does not hold.

use serde::{Deserialize, Serialize};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// File name of the log inside the store directory.
pub const FILE: &str = "bodies";

const MAGIC: &[u8; 4] = b"FKB1";
const HEADER: usize = 16;

/// Where a body is in the log: byte offset and record length (bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyRef {
    /// Byte offset of the record.
    #[serde(rename = "o")]
    pub offset: u64,
    /// Record length, header included, bytes.
    #[serde(rename = "n")]
    pub len: u32,
}

#[derive(Serialize)]
struct BodyOut<'a> {
    text: &'a str,
    html: &'a str,
}

/// A body read back.
#[derive(Deserialize)]
pub struct Body {
    /// Plain text.
    pub text: String,
    /// Sanitised HTML.
    pub html: String,
}

/// A body record ready to append: encoding (JSON, LZ4, checksum) is most of an append's
/// cost, so the pipeline encodes before it takes its ingest lock.
#[derive(Clone, Debug, Default)]
pub struct EncodedBody {
    record: Vec<u8>,
    /// Byte lengths of the text and HTML it holds (to catch a record paired with another body).
    lens: (usize, usize),
}

impl EncodedBody {
    /// Encodes a body (plain text, sanitised HTML) as a log record.
    ///
    /// # Errors
    /// A body whose compressed payload exceeds 4 GiB.
    pub fn new(text: &str, html: &str) -> Result<EncodedBody, String> {
        let json = serde_json::to_vec(&BodyOut { text, html }).map_err(|e| e.to_string())?;
        let payload = lz4_flex::compress_prepend_size(&json);
        let plen =
            u32::try_from(payload.len()).map_err(|_| "body larger than 4 GiB".to_string())?;
        let mut record = Vec::with_capacity(HEADER + payload.len());
        record.extend_from_slice(MAGIC);
        record.extend_from_slice(&plen.to_le_bytes());
        record.extend_from_slice(&blake3::hash(&payload).as_bytes()[..8]);
        record.extend_from_slice(&payload);
        Ok(EncodedBody {
            record,
            lens: (text.len(), html.len()),
        })
    }

    /// Whether this record can hold the body `text` + `html`: the lengths agree (the
    /// content itself is compared in debug builds).
    pub fn holds(&self, text: &str, html: &str) -> bool {
        if self.record.is_empty() || self.lens != (text.len(), html.len()) {
            return false;
        }
        debug_assert!(
            EncodedBody::new(text, html).is_ok_and(|e| e.record == self.record),
            "an encoded body paired with another body"
        );
        true
    }
}

/// The open body log (shared by every clone of the store).
pub struct BodyLog {
    path: PathBuf,
    file: File,
    end: Mutex<u64>,
    dirty: AtomicBool,
}

impl BodyLog {
    /// Opens (creating) the log at `path`.
    ///
    /// # Errors
    /// The I/O error, as text.
    pub fn open(path: &Path) -> Result<BodyLog, String> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| e.to_string())?;
        BodyLog::with_file(path, file)
    }

    /// Opens an existing log for reading only (a [`super::search::ReadView`]).
    ///
    /// # Errors
    /// The I/O error, as text.
    pub fn open_read(path: &Path) -> Result<BodyLog, String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        BodyLog::with_file(path, file)
    }

    /// The log over an open `file` at `path`, appending at its end.
    fn with_file(path: &Path, file: File) -> Result<BodyLog, String> {
        let end = file.metadata().map_err(|e| e.to_string())?.len();
        Ok(BodyLog {
            path: path.to_path_buf(),
            file,
            end: Mutex::new(end),
            dirty: AtomicBool::new(false),
        })
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Size of the log, bytes.
    pub fn len(&self) -> u64 {
        *self.end.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the log holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a body; returns where it is.
    ///
    /// # Errors
    /// The I/O error, as text.
    pub fn append(&self, text: &str, html: &str) -> Result<BodyRef, String> {
        self.append_encoded(&EncodedBody::new(text, html)?)
    }

    /// Appends a body encoded beforehand (see [`EncodedBody`]); returns where it is.
    ///
    /// # Errors
    /// The I/O error, as text.
    pub fn append_encoded(&self, body: &EncodedBody) -> Result<BodyRef, String> {
        let rec = &body.record;
        let len = u32::try_from(rec.len()).map_err(|_| "body larger than 4 GiB".to_string())?;
        let mut end = self.end.lock().unwrap_or_else(|p| p.into_inner());
        let offset = *end;
        self.file
            .write_all_at(rec, offset)
            .map_err(|e| e.to_string())?;
        *end += u64::from(len);
        self.dirty.store(true, Ordering::Release);
        Ok(BodyRef { offset, len })
    }

    /// Reads a body back, checking its header and hash.
    ///
    /// # Errors
    /// What is wrong with the record (short read, bad magic, hash mismatch, bad payload).
    pub fn read(&self, r: BodyRef) -> Result<Body, String> {
        let len = r.len as usize;
        if len < HEADER {
            return Err(format!("body at {}: record of {len} bytes", r.offset));
        }
        let mut rec = vec![0u8; len];
        self.file
            .read_exact_at(&mut rec, r.offset)
            .map_err(|e| format!("body at {}: {e}", r.offset))?;
        let payload = &rec[HEADER..];
        let plen = u32::from_le_bytes([rec[4], rec[5], rec[6], rec[7]]) as usize;
        if &rec[..4] != MAGIC || plen != payload.len() {
            return Err(format!("body at {}: not a body record", r.offset));
        }
        if rec[8..16] != blake3::hash(payload).as_bytes()[..8] {
            return Err(format!("body at {}: checksum mismatch", r.offset));
        }
        let json = lz4_flex::decompress_size_prepended(payload)
            .map_err(|e| format!("body at {}: lz4: {e}", r.offset))?;
        serde_json::from_slice(&json).map_err(|e| format!("body at {}: {e}", r.offset))
    }

    /// Makes every appended body durable (`fdatasync`), when anything was appended.
    ///
    /// # Errors
    /// The I/O error, as text.
    pub fn sync(&self) -> Result<(), String> {
        if self.dirty.swap(false, Ordering::AcqRel) {
            if let Err(e) = self.file.sync_data() {
                self.dirty.store(true, Ordering::Release);
                return Err(e.to_string());
            }
        }
        Ok(())
    }
}
