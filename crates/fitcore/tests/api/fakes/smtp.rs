//! A minimal but real SMTP server (RFC 5321 subset) on tokio. It accepts every
//! message, never advertises STARTTLS or AUTH, and keeps what it received so
//! tests can read the mails and follow their links.

#![allow(dead_code)]

use base64::Engine as _;
use std::sync::{Arc, Mutex};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

/// One message as delivered: the envelope and the raw DATA (dot-unstuffed,
/// CRLF line endings kept).
#[derive(Clone, Debug)]
pub struct Email {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

pub struct FakeSmtp {
    pub port: u16,
    messages: Arc<Mutex<Vec<Email>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeSmtp {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake SMTP");
        let port = listener.local_addr().expect("fake SMTP address").port();
        let messages: Arc<Mutex<Vec<Email>>> = Arc::default();
        let store = messages.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = session(stream, store).await;
                });
            }
        });
        Self {
            port,
            messages,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<Email> {
        self.messages
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for FakeSmtp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn address(arg: &str) -> String {
    match (arg.find('<'), arg.rfind('>')) {
        (Some(a), Some(b)) if a < b => arg[a + 1..b].to_string(),
        _ => arg.split_whitespace().next().unwrap_or("").to_string(),
    }
}

async fn session(stream: TcpStream, store: Arc<Mutex<Vec<Email>>>) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 fake-smtp.test ESMTP ready\r\n").await?;
    let mut from = String::new();
    let mut to: Vec<String> = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if r.read_until(b'\n', &mut buf).await? == 0 {
            return Ok(());
        }
        let line = String::from_utf8_lossy(&buf);
        let cmd = line.trim_end_matches(['\r', '\n']);
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            w.write_all(b"250-fake-smtp.test greets you\r\n250-8BITMIME\r\n250 SIZE 52428800\r\n")
                .await?;
        } else if upper.starts_with("HELO") {
            w.write_all(b"250 fake-smtp.test\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&cmd[10..]);
            to.clear();
            w.write_all(b"250 2.1.0 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&cmd[8..]));
            w.write_all(b"250 2.1.5 OK\r\n").await?;
        } else if upper == "DATA" {
            w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data: Vec<u8> = Vec::new();
            loop {
                buf.clear();
                if r.read_until(b'\n', &mut buf).await? == 0 {
                    return Ok(());
                }
                let content = buf.strip_suffix(b"\n").unwrap_or(&buf);
                let content = content.strip_suffix(b"\r").unwrap_or(content);
                if content == b"." {
                    break;
                }
                // Dot-unstuffing (RFC 5321 4.5.2).
                let content = if content.starts_with(b"..") {
                    &content[1..]
                } else {
                    content
                };
                data.extend_from_slice(content);
                data.extend_from_slice(b"\r\n");
            }
            store.lock().unwrap_or_else(|p| p.into_inner()).push(Email {
                from: from.clone(),
                to: std::mem::take(&mut to),
                data: String::from_utf8_lossy(&data).into_owned(),
            });
            w.write_all(b"250 2.0.0 OK: queued\r\n").await?;
        } else if upper.starts_with("RSET") {
            from.clear();
            to.clear();
            w.write_all(b"250 2.0.0 OK\r\n").await?;
        } else if upper.starts_with("NOOP") {
            w.write_all(b"250 2.0.0 OK\r\n").await?;
        } else if upper.starts_with("QUIT") {
            w.write_all(b"221 2.0.0 Bye\r\n").await?;
            return Ok(());
        } else {
            w.write_all(b"502 5.5.2 Command not implemented\r\n")
                .await?;
        }
    }
}

// ---------------------------------------------------------------------------
// Reading the messages: a small MIME walker (multipart, quoted-printable,
// base64), enough for what lettre produces.

type Headers = Vec<(String, String)>;

fn split_message(raw: &str) -> (Headers, String) {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = match raw.find("\n\n") {
        Some(i) => (&raw[..i], raw[i + 2..].to_string()),
        None => (raw.as_str(), String::new()),
    };
    let mut headers: Headers = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    (headers, body)
}

fn header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn param(value: &str, name: &str) -> Option<String> {
    for piece in value.split(';').skip(1) {
        let (k, v) = piece.split_once('=')?;
        if k.trim().eq_ignore_ascii_case(name) {
            return Some(v.trim().trim_matches('"').to_string());
        }
    }
    None
}

pub fn decode_quoted_printable(body: &str) -> String {
    let bytes = body.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            if bytes.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            if bytes.get(i + 1) == Some(&b'\r') && bytes.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if i + 2 < bytes.len() {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                if let Ok(b) = u8::from_str_radix(hex, 16) {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn decode_base64(body: &str) -> String {
    let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .expect("base64 body part");
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Every leaf part of a MIME entity: (lower-cased content type, decoded text).
fn leaves(raw: &str) -> Vec<(String, String)> {
    let (headers, body) = split_message(raw);
    let ct = header(&headers, "content-type")
        .unwrap_or("text/plain")
        .to_string();
    if ct.to_ascii_lowercase().starts_with("multipart/") {
        let Some(boundary) = param(&ct, "boundary") else {
            return vec![];
        };
        let delimiter = format!("--{boundary}");
        let mut out = Vec::new();
        for chunk in body.split(delimiter.as_str()).skip(1) {
            if chunk.starts_with("--") {
                break;
            }
            let chunk = chunk.strip_prefix('\n').unwrap_or(chunk);
            out.extend(leaves(chunk));
        }
        out
    } else {
        let cte = header(&headers, "content-transfer-encoding")
            .unwrap_or("7bit")
            .to_ascii_lowercase();
        let decoded = match cte.as_str() {
            "quoted-printable" => decode_quoted_printable(&body),
            "base64" => decode_base64(&body),
            _ => body,
        };
        let kind = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        vec![(kind, decoded)]
    }
}

impl Email {
    pub fn header(&self, name: &str) -> Option<String> {
        let (headers, _) = split_message(&self.data);
        header(&headers, &name.to_ascii_lowercase()).map(str::to_string)
    }

    pub fn subject(&self) -> String {
        self.header("subject").unwrap_or_default()
    }

    pub fn is_to(&self, address: &str) -> bool {
        self.to.iter().any(|t| t.eq_ignore_ascii_case(address))
    }

    /// The decoded `text/plain` part (the whole body for a single-part mail).
    pub fn text(&self) -> String {
        let parts = leaves(&self.data);
        parts
            .iter()
            .find(|(ct, _)| ct == "text/plain")
            .or_else(|| parts.first())
            .map(|(_, t)| t.clone())
            .unwrap_or_default()
    }

    pub fn html(&self) -> Option<String> {
        leaves(&self.data)
            .into_iter()
            .find(|(ct, _)| ct == "text/html")
            .map(|(_, t)| t)
    }

    /// The first URL starting with `prefix`, looked for in the text part and
    /// then in the HTML part.
    pub fn find_url(&self, prefix: &str) -> Option<String> {
        let find = |text: &str| {
            let start = text.find(prefix)?;
            let rest = &text[start..];
            let end = rest
                .find(|c: char| {
                    c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')' | ']')
                })
                .unwrap_or(rest.len());
            Some(rest[..end].replace("&amp;", "&"))
        };
        find(&self.text()).or_else(|| self.html().and_then(|h| find(&h)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_printable_soft_breaks_and_escapes_are_decoded() {
        assert_eq!(decode_quoted_printable("a=3Db=\nc =C3=A9"), "a=bc é");
    }

    #[test]
    fn multipart_text_part_is_found_and_decoded() {
        let raw = "Subject: Hi\r\nContent-Type: multipart/alternative; boundary=\"XX\"\r\n\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nGo to http://f.test/x?a=3D1&b=3D2 now\r\n--XX\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\nPGI+aGk8L2I+\r\n--XX--\r\n";
        let mail = Email {
            from: "a@b".into(),
            to: vec!["c@d".into()],
            data: raw.into(),
        };
        assert_eq!(mail.subject(), "Hi");
        assert_eq!(
            mail.find_url("http://f.test/").as_deref(),
            Some("http://f.test/x?a=1&b=2")
        );
        assert_eq!(mail.html().as_deref(), Some("<b>hi</b>"));
    }

    /// The fake speaks enough SMTP for lettre, the client the server uses.
    #[tokio::test]
    async fn lettre_delivers_a_multipart_mail_to_the_fake() {
        use lettre::{
            AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor, message::MultiPart,
        };
        let smtp = FakeSmtp::start().await;
        let long = format!(
            "http://frontend.test/reset-password?uid=MQ&token={}",
            "t".repeat(120)
        );
        let message = Message::builder()
            .from("FitCore <no-reply@fitcore.test>".parse().expect("from"))
            .to("ana@example.com".parse().expect("to"))
            .subject("Reset your password")
            .multipart(MultiPart::alternative_plain_html(
                format!("Hello Ana,\n.leading dot line\nFollow {long} to reset. Ünïcödé ✓\n"),
                format!(
                    "<p>Follow <a href=\"{}\">this link</a></p>",
                    long.replace('&', "&amp;")
                ),
            ))
            .expect("message");
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(smtp.port)
            .build();
        transport
            .send(message)
            .await
            .expect("lettre sends to the fake");
        let mails = smtp.messages();
        assert_eq!(mails.len(), 1);
        let mail = &mails[0];
        assert!(mail.is_to("ana@example.com"));
        assert_eq!(mail.from, "no-reply@fitcore.test");
        assert_eq!(mail.subject(), "Reset your password");
        assert!(mail.text().contains(".leading dot line"), "{}", mail.text());
        assert!(mail.text().contains("Ünïcödé ✓"), "{}", mail.text());
        assert_eq!(
            mail.find_url("http://frontend.test/reset-password?")
                .as_deref(),
            Some(long.as_str())
        );
        assert!(mail.html().is_some_and(|h| h.contains("this link")));
    }
}
