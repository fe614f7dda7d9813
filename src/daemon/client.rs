//! The CLI's side of the daemon API: a small blocking HTTP/1.0 client over the Unix socket.
//! `query`, `show`, `export`, `feeds status` and `poll` use it when the daemon holds the
//! store; they fetch the stored records and print them with the same code as when they read
//! the store directly, so the output is identical.

use crate::model::{Article, FeedState, Revision};
use crate::query::Filter;
use chrono::SecondsFormat;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A failure talking to the daemon.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The socket could not be reached or the exchange broke off.
    #[error("daemon API {socket}: {source}")]
    Io {
        /// The socket path.
        socket: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The daemon answered with an error.
    #[error("{0}")]
    Api(String),
    /// The answer could not be decoded.
    #[error("daemon API {socket}: unexpected answer: {message}")]
    Protocol {
        /// The socket path.
        socket: String,
        /// What was wrong.
        message: String,
    },
}

/// A client of the daemon's Unix-socket API.
#[derive(Clone, Debug)]
pub struct Client {
    socket: PathBuf,
    timeout: Duration,
}

impl Client {
    /// A client for the socket at `socket`.
    pub fn new(socket: &Path) -> Client {
        Client {
            socket: socket.to_path_buf(),
            timeout: Duration::from_secs(300),
        }
    }

    fn io(&self, source: std::io::Error) -> ClientError {
        ClientError::Io {
            socket: self.socket.display().to_string(),
            source,
        }
    }

    fn protocol(&self, message: impl Into<String>) -> ClientError {
        ClientError::Protocol {
            socket: self.socket.display().to_string(),
            message: message.into(),
        }
    }

    /// Sends one request; returns the status and body.
    ///
    /// # Errors
    /// [`ClientError::Io`] when the socket cannot be reached.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<(u16, Vec<u8>), ClientError> {
        self.request_with(method, path, &[], body)
            .map(|(status, _, body)| (status, body))
    }

    /// Sends one request with extra headers; returns the status, the response head (status
    /// line and headers) and the body.
    ///
    /// # Errors
    /// [`ClientError::Io`] when the socket cannot be reached.
    pub fn request_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<(u16, String, Vec<u8>), ClientError> {
        let mut s = UnixStream::connect(&self.socket).map_err(|e| self.io(e))?;
        s.set_read_timeout(Some(self.timeout))
            .map_err(|e| self.io(e))?;
        let body = body.unwrap_or_default();
        let extra: String = headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        let head = format!(
            "{method} {path} HTTP/1.0\r\nHost: feedkeeper\r\nConnection: close\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).map_err(|e| self.io(e))?;
        s.write_all(body).map_err(|e| self.io(e))?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).map_err(|e| self.io(e))?;
        let split = buf
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| self.protocol("no end of headers"))?;
        let head = String::from_utf8_lossy(&buf[..split]).to_string();
        let mut body = buf[split + 4..].to_vec();
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| self.protocol("no status line"))?;
        if head.lines().any(|l| {
            l.to_ascii_lowercase().starts_with("transfer-encoding:")
                && l.to_ascii_lowercase().contains("chunked")
        }) {
            body = dechunk(&body).ok_or_else(|| self.protocol("bad chunked body"))?;
        }
        Ok((status, head, body))
    }

    fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Option<T>, ClientError> {
        let (status, body) = self.request("GET", path, None)?;
        match status {
            200 => serde_json::from_slice(&body)
                .map(Some)
                .map_err(|e| self.protocol(e.to_string())),
            404 => Ok(None),
            _ => Err(api_error(status, &body)),
        }
    }

    /// `GET /articles?raw=true` with the filter: the stored records, newest first.
    ///
    /// # Errors
    /// On a failed exchange or an error answer.
    pub fn articles(&self, filter: &Filter) -> Result<Vec<Article>, ClientError> {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("raw", "true");
        let ts = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        if !filter.feeds.is_empty() {
            q.append_pair("feed", &filter.feeds.join(","));
        }
        if let Some(t) = filter.since {
            q.append_pair("since", &ts(t));
        }
        if let Some(t) = filter.until {
            q.append_pair("until", &ts(t));
        }
        if let Some(s) = &filter.search {
            q.append_pair("search", s);
        }
        if let Some(l) = &filter.lang {
            q.append_pair("lang", l);
        }
        if let Some(t) = filter.updated_since {
            q.append_pair("updated_since", &ts(t));
        }
        if let Some(a) = &filter.author {
            q.append_pair("author", a);
        }
        if let Some(t) = &filter.tag {
            q.append_pair("tag", t);
        }
        if filter.duplicates {
            q.append_pair("duplicates", "true");
        }
        q.append_pair(
            "order",
            match filter.order {
                crate::query::Order::Published => "published",
                crate::query::Order::Updated => "updated",
                crate::query::Order::Seen => "seen",
            },
        );
        if let Some(c) = &filter.cursor {
            q.append_pair("cursor", &c.to_string());
        }
        q.append_pair("limit", &filter.limit.unwrap_or(usize::MAX).to_string());
        Ok(self
            .get_json(&format!("/articles?{}", q.finish()))?
            .unwrap_or_default())
    }

    /// `GET /articles/{id}?raw=true`.
    ///
    /// # Errors
    /// On a failed exchange or an error answer.
    pub fn article(&self, id: &str) -> Result<Option<Article>, ClientError> {
        self.get_json(&format!("/articles/{}?raw=true", encode(id)))
    }

    /// `GET /articles/{id}/revisions`.
    ///
    /// # Errors
    /// On a failed exchange or an error answer.
    pub fn revisions(&self, id: &str) -> Result<Vec<Revision>, ClientError> {
        Ok(self
            .get_json(&format!("/articles/{}/revisions", encode(id)))?
            .unwrap_or_default())
    }

    /// `GET /feeds/status?raw=true`: the stored state of each configured feed, in config order.
    ///
    /// # Errors
    /// On a failed exchange or an error answer.
    pub fn feed_states(&self) -> Result<Vec<Option<FeedState>>, ClientError> {
        Ok(self.get_json("/feeds/status?raw=true")?.unwrap_or_default())
    }

    /// `POST /poll`: polls the feeds now; returns the report lines.
    ///
    /// # Errors
    /// On a failed exchange or an error answer.
    pub fn poll(&self, feeds: &[String]) -> Result<String, ClientError> {
        let body = serde_json::to_vec(feeds).map_err(|e| self.protocol(e.to_string()))?;
        let (status, body) = self.request("POST", "/poll", Some(&body))?;
        if status != 200 {
            return Err(api_error(status, &body));
        }
        Ok(String::from_utf8_lossy(&body).into_owned())
    }
}

fn api_error(status: u16, body: &[u8]) -> ClientError {
    let msg = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_string());
    ClientError::Api(format!("daemon answered {status}: {msg}"))
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n")?;
        let size_s = std::str::from_utf8(&b[..eol]).ok()?;
        let size = usize::from_str_radix(size_s.split(';').next()?.trim(), 16).ok()?;
        b = &b[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}
