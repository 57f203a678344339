//! Outgoing mail through lettre: printed to the log in development
//! (`console://`), SMTP otherwise. Mail is sent by the `send_email` job so a
//! message queued in a transaction survives restarts and is retried.

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
};
use serde::{Deserialize, Serialize};

pub const SEND_EMAIL_JOB: &str = "send_email";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

enum Transport {
    Console,
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

impl Mailer {
    pub fn from_url(url: &str, from: &str) -> anyhow::Result<Self> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow::anyhow!("EMAIL_FROM is invalid: {e}"))?;
        let transport = if url.starts_with("console://") {
            Transport::Console
        } else {
            Transport::Smtp(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build())
        };
        Ok(Self { transport, from })
    }

    pub async fn send(&self, email: &Email) -> anyhow::Result<()> {
        match &self.transport {
            Transport::Console => {
                tracing::info!(to = %email.to, subject = %email.subject, body = %email.text, "email (console backend)");
                Ok(())
            }
            Transport::Smtp(smtp) => {
                let to: Mailbox = email.to.parse()?;
                let message = Message::builder()
                    .from(self.from.clone())
                    .to(to)
                    .subject(email.subject.clone())
                    .multipart(MultiPart::alternative_plain_html(
                        email.text.clone(),
                        email.html.clone(),
                    ))?;
                smtp.send(message).await?;
                Ok(())
            }
        }
    }
}

/// Queues `email` for sending by the `send_email` job. Pass the caller's
/// transaction so the mail goes out only if the change it announces commits.
pub async fn queue<C: sea_orm::ConnectionTrait>(
    conn: &C,
    now: chrono::DateTime<chrono::Utc>,
    email: &Email,
) -> Result<i64, crate::error::AppError> {
    let payload = serde_json::to_value(email).map_err(crate::error::AppError::internal)?;
    Ok(super::jobs::enqueue(conn, now, super::jobs::NewJob::new(SEND_EMAIL_JOB, payload)).await?)
}

pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A plain message with one call to action, as text and as HTML.
pub fn action_email(
    to: &str,
    subject: &str,
    greeting: &str,
    lines: &[&str],
    action: Option<(&str, &str)>,
) -> Email {
    let mut text = format!("{greeting}\n\n");
    let mut html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif;line-height:1.5\"><p>{}</p>",
        escape_html(greeting)
    );
    for line in lines {
        text.push_str(line);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>", escape_html(line)));
    }
    if let Some((label, url)) = action {
        text.push_str(&format!("{label}: {url}\n\n"));
        html.push_str(&format!(
            "<p><a href=\"{u}\">{l}</a></p><p style=\"color:#666;font-size:small\">{u}</p>",
            u = escape_html(url),
            l = escape_html(label)
        ));
    }
    text.push_str("— FitCore\n");
    html.push_str("<p>— FitCore</p></body></html>");
    Email {
        to: to.to_string(),
        subject: subject.to_string(),
        text,
        html,
    }
}
