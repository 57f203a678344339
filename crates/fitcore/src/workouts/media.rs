//! Video files: type by content, ffprobe/ffmpeg helpers.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::AsyncReadExt;
use tokio::process::Command;
use tokio::sync::OnceCell;
use tokio::time::error::Elapsed;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoKind {
    Mp4,
    WebM,
    QuickTime,
}

impl VideoKind {
    pub fn content_type(self) -> &'static str {
        match self {
            VideoKind::Mp4 => "video/mp4",
            VideoKind::WebM => "video/webm",
            VideoKind::QuickTime => "video/quicktime",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            VideoKind::Mp4 => "mp4",
            VideoKind::WebM => "webm",
            VideoKind::QuickTime => "mov",
        }
    }
}

/// How many leading bytes `sniff_video` wants; it also copes with fewer.
/// 64 covers a typical EBML header and a dozen ftyp compatible brands.
pub const SNIFF_LEN: usize = 64;

const PROBE_TIMEOUT: Duration = Duration::from_secs(30);
const THUMB_TIMEOUT: Duration = Duration::from_secs(60);
const GENERATE_TIMEOUT: Duration = Duration::from_secs(120);
const VERSION_TIMEOUT: Duration = Duration::from_secs(10);

enum Brand {
    Video(VideoKind),
    /// ISO-BMFF that is not a video (HEIF/AVIF images, M4A audio, raw photos).
    NotVideo,
    Unknown,
}

fn classify_brand(brand: &[u8]) -> Brand {
    match brand {
        b"qt  " => Brand::Video(VideoKind::QuickTime),
        b"isom" | b"iso2" | b"iso3" | b"iso4" | b"iso5" | b"iso6" | b"mp41" | b"mp42" | b"avc1"
        | b"M4V " | b"M4VP" | b"dash" | b"mmp4" | b"f4v " => Brand::Video(VideoKind::Mp4),
        [b'3', b'g', b'p' | b'2', _] => Brand::Video(VideoKind::Mp4),
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"mif2" | b"msf1"
        | b"avif" | b"avis" | b"M4A " | b"M4B " | b"M4P " | b"F4A " | b"F4B " | b"crx " => {
            Brand::NotVideo
        }
        _ => Brand::Unknown,
    }
}

/// Box size and header length per ISO-BMFF atom rules: 0 runs to the end of
/// the file, 1 means a 64-bit size follows; anything else below 8 is corrupt.
fn atom_size(head: &[u8]) -> Option<(u64, usize)> {
    match u32::from_be_bytes(head.get(..4)?.try_into().ok()?) {
        0 => Some((u64::MAX, 8)),
        1 => {
            let size = u64::from_be_bytes(head.get(8..16)?.try_into().ok()?);
            (size >= 16).then_some((size, 16))
        }
        s if s >= 8 => Some((u64::from(s), 8)),
        _ => None,
    }
}

/// Decides the container from the first bytes; file names are never trusted.
pub fn sniff_video(head: &[u8]) -> Option<VideoKind> {
    let head = &head[..head.len().min(SNIFF_LEN)];
    if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return sniff_webm(head);
    }
    match head.get(4..8)? {
        b"ftyp" => sniff_ftyp(head),
        b"moov" | b"mdat" | b"wide" | b"free" | b"skip" | b"pnot" => {
            atom_size(head).map(|_| VideoKind::QuickTime)
        }
        _ => None,
    }
}

fn sniff_ftyp(head: &[u8]) -> Option<VideoKind> {
    let (size, header) = atom_size(head)?;
    // Major brand and minor version are mandatory.
    if size < header as u64 + 8 {
        return None;
    }
    match classify_brand(head.get(header..header + 4)?) {
        Brand::Video(kind) => return Some(kind),
        // An M4A usually lists isom as compatible; it is still audio.
        Brand::NotVideo => return None,
        Brand::Unknown => {}
    }
    let end = usize::try_from(size).unwrap_or(usize::MAX).min(head.len());
    let mut found = None;
    for brand in head.get(header + 8..end)?.chunks_exact(4) {
        match classify_brand(brand) {
            Brand::NotVideo => return None,
            Brand::Video(kind) => {
                found.get_or_insert(kind);
            }
            Brand::Unknown => {}
        }
    }
    found
}

/// An EBML variable-length integer at `pos`: (value, length). IDs keep their
/// length marker (0x4282 stays 0x4282); sizes drop it.
fn ebml_vint(buf: &[u8], pos: usize, keep_marker: bool) -> Option<(u64, usize)> {
    let first = u64::from(*buf.get(pos)?);
    let len = first.leading_zeros() as usize - 55; // 9 for 0: rejected below.
    let rest = buf.get(pos + 1..pos + len).filter(|_| len <= 8)?;
    let first = if keep_marker {
        first
    } else {
        first & (0xFF >> len)
    };
    let value = rest.iter().fold(first, |v, b| (v << 8) | u64::from(*b));
    Some((value, len))
}

fn sniff_webm(head: &[u8]) -> Option<VideoKind> {
    let (header_size, n) = ebml_vint(head, 4, false)?;
    let mut pos = 4 + n;
    let header_size = usize::try_from(header_size).unwrap_or(usize::MAX);
    let end = pos.saturating_add(header_size).min(head.len());
    while pos < end {
        let (id, id_len) = ebml_vint(head, pos, true)?;
        let (size, size_len) = ebml_vint(head, pos + id_len, false)?;
        let data = pos + id_len + size_len;
        let data_end = data.checked_add(usize::try_from(size).ok()?)?;
        if id == 0x4282 {
            // EBML strings may be zero-padded.
            let doc_type = head.get(data..data_end)?;
            let doc_type = doc_type.split(|b| *b == 0).next().unwrap_or_default();
            return (doc_type == b"webm").then_some(VideoKind::WebM);
        }
        pos = data_end;
    }
    None
}

/// The input arguments for an upload. The demuxer is forced from the sniffed
/// bytes so a file cannot steer ffmpeg into formats (HLS playlists, concat
/// scripts) that read further files; None when it is not a video we accept.
async fn input_args(path: &Path) -> Option<Vec<OsString>> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    let file = tokio::fs::File::open(path).await.ok()?;
    file.take(SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .await
        .ok()?;
    let demuxer = match sniff_video(&head)? {
        VideoKind::Mp4 | VideoKind::QuickTime => "mov",
        VideoKind::WebM => "matroska",
    };
    let mut args = words(&format!("-f {demuxer} -i"));
    args.push(file_arg(path));
    Some(args)
}

/// `file:` stops ffmpeg reading `a:b.mp4` as protocol `a` or `-x.mp4` as an option.
fn file_arg(path: &Path) -> OsString {
    let mut arg = OsString::from("file:");
    arg.push(path.as_os_str());
    arg
}

/// Splits fixed flags on whitespace; paths and labels are pushed whole.
fn words(flags: &str) -> Vec<OsString> {
    flags.split_whitespace().map(OsString::from).collect()
}

/// Runs a tool without a shell; on timeout the dropped child is killed. A
/// non-zero exit is an error carrying the tool's message.
async fn run_ok(program: &str, args: Vec<OsString>, limit: Duration) -> anyhow::Result<Output> {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null()).kill_on_drop(true);
    let output = match tokio::time::timeout(limit, cmd.output()).await {
        Ok(output) => output.with_context(|| format!("running {program}"))?,
        Err(elapsed) => {
            let why = format!("{program} timed out after {}s", limit.as_secs());
            return Err(anyhow::Error::new(elapsed).context(why));
        }
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!("{program} failed ({}): {}", output.status, stderr.trim());
    }
    Ok(output)
}

/// What the installed ffmpeg build offers; `generate_demo_video` adapts to it.
struct Tools {
    h264: bool,
    aac: bool,
    drawtext: bool,
}

/// Probed once per process: None when `ffprobe` or `ffmpeg` does not run.
async fn tools() -> Option<&'static Tools> {
    static TOOLS: OnceCell<Option<Tools>> = OnceCell::const_new();
    let probe = || async {
        let (probe, mpeg, enc, filt) = tokio::join!(
            run_ok("ffprobe", words("-version"), VERSION_TIMEOUT),
            run_ok("ffmpeg", words("-version"), VERSION_TIMEOUT),
            run_ok("ffmpeg", words("-hide_banner -encoders"), VERSION_TIMEOUT),
            run_ok("ffmpeg", words("-hide_banner -filters"), VERSION_TIMEOUT)
        );
        probe.ok().and(mpeg.ok())?;
        // A listing line reads " V....D libx264  description": name second.
        let lists = |out: &anyhow::Result<Output>, name: &str| {
            out.as_ref().is_ok_and(|o| {
                let text = String::from_utf8_lossy(&o.stdout);
                text.lines()
                    .any(|l| l.split_whitespace().nth(1) == Some(name))
            })
        };
        Some(Tools {
            h264: lists(&enc, "libx264"),
            aac: lists(&enc, "aac"),
            drawtext: lists(&filt, "drawtext"),
        })
    };
    TOOLS.get_or_init(probe).await.as_ref()
}

/// True when both `ffprobe` and `ffmpeg` run (`-version`), checked once.
pub async fn tools_available() -> bool {
    tools().await.is_some()
}

/// Duration in whole seconds (rounded); None when ffprobe is missing, fails,
/// prints nonsense, or the file is not a video we accept.
pub async fn probe_duration_seconds(path: &Path) -> Option<i32> {
    tools().await?;
    let mut args = words("-v error -show_entries format=duration -of default=nw=1:nk=1");
    args.extend(input_args(path).await?);
    let output = run_ok("ffprobe", args, PROBE_TIMEOUT).await.ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let secs: f64 = text.trim().parse().ok()?;
    // "N/A", NaN, negatives and absurd values are all nonsense.
    let sane = secs.is_finite() && (0.0..=f64::from(i32::MAX)).contains(&secs);
    sane.then(|| secs.round() as i32)
}

/// A JPEG thumbnail (max 640 px wide, aspect kept) from ~1 s in, or the first
/// frame for shorter videos. Ok(false) when ffmpeg is missing.
pub async fn make_thumbnail(video: &Path, out: &Path) -> anyhow::Result<bool> {
    if tools().await.is_none() {
        return Ok(false);
    }
    let input = input_args(video).await.context("not a supported video")?;
    let attempts = async {
        // Seeking past the end of a short clip exits 0 with no output, so
        // fall back to the first frame rather than probing the length first.
        for seek in ["-ss 1", ""] {
            let mut args = words("-hide_banner -nostdin -loglevel error -y");
            args.extend(words(seek));
            args.extend(input.iter().cloned());
            args.extend(words("-frames:v 1 -vf scale='min(640,iw)':-2 -f image2"));
            args.extend(words("-update 1 -c:v mjpeg -q:v 4"));
            args.push(file_arg(out));
            // A stale file from before would pass for a fresh thumbnail.
            let _ = tokio::fs::remove_file(out).await;
            let attempt = run_ok("ffmpeg", args, THUMB_TIMEOUT).await;
            let written = tokio::fs::metadata(out).await.is_ok_and(|m| m.len() > 0);
            match attempt {
                Ok(_) if written => return Ok(()),
                Err(e) if seek.is_empty() => return Err(e),
                _ => {}
            }
        }
        bail!("ffmpeg wrote no thumbnail")
    };
    let result = tokio::time::timeout(THUMB_TIMEOUT, attempts).await;
    let result = result.unwrap_or_else(|_| bail!("ffmpeg timed out making a thumbnail"));
    if result.is_err() {
        // Leave no half-written JPEG behind.
        let _ = tokio::fs::remove_file(out).await;
    }
    result.map(|()| true)
}

/// Keeps only characters that need no escaping in a filtergraph or in
/// drawtext (no quotes, backslashes, `:` `,` `;` `[` `]` or `%`).
fn drawtext_safe(label: &str) -> String {
    let keep = |c: char| c.is_alphanumeric() || " -_.#+!?()/&".contains(c);
    let safe: String = label
        .chars()
        .take(60)
        .map(|c| if keep(c) { c } else { ' ' })
        .collect();
    safe.trim().to_owned()
}

const LABEL_STYLE: &str = "expansion=none:fontcolor=white:fontsize=36:box=1:\
    boxcolor=black@0.5:boxborderw=10:x=(w-text_w)/2:y=h-text_h-30";

fn demo_args(out: &Path, seconds: u32, label: Option<&str>, tools: &Tools) -> Vec<OsString> {
    let mut args = words("-hide_banner -nostdin -loglevel error -y -f lavfi -i");
    args.push(format!("testsrc2=size=640x360:rate=25:duration={seconds}").into());
    if tools.aac {
        args.extend(words("-f lavfi -i"));
        args.push(format!("sine=frequency=440:sample_rate=44100:duration={seconds}").into());
        args.extend(words("-c:a aac -b:a 96k"));
    }
    if let Some(label) = label {
        args.push("-vf".into());
        args.push(format!("drawtext=text='{label}':{LABEL_STYLE}").into());
    }
    args.extend(words(match tools.h264 {
        true => "-c:v libx264 -preset veryfast -pix_fmt yuv420p",
        false => "-c:v mpeg4 -q:v 5",
    }));
    args.extend(words(&format!("-t {seconds} -movflags +faststart -f mp4")));
    args.push(file_arg(out));
    args
}

/// A short labelled test video for the demo catalogue; Ok(false) when ffmpeg
/// is missing.
pub async fn generate_demo_video(out: &Path, seconds: u32, label: &str) -> anyhow::Result<bool> {
    let Some(tools) = tools().await else {
        return Ok(false);
    };
    anyhow::ensure!(seconds > 0, "a demo video needs at least one second");
    let label = drawtext_safe(label);
    let label = (tools.drawtext && !label.is_empty()).then_some(label.as_str());
    let args = demo_args(out, seconds, label, tools);
    let mut result = run_ok("ffmpeg", args, GENERATE_TIMEOUT).await;
    // drawtext exists but can still fail (no font via fontconfig); the label
    // is decoration, so retry without it unless the first run timed out.
    let timed_out = |e: &anyhow::Error| e.downcast_ref::<Elapsed>().is_some();
    if label.is_some() && result.as_ref().is_err_and(|e| !timed_out(e)) {
        let args = demo_args(out, seconds, None, tools);
        result = run_ok("ffmpeg", args, GENERATE_TIMEOUT).await;
    }
    if result.is_err() {
        let _ = tokio::fs::remove_file(out).await;
    }
    result.map(|_| true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MP4: Option<VideoKind> = Some(VideoKind::Mp4);
    const QT: Option<VideoKind> = Some(VideoKind::QuickTime);

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len() as u32;
        let mut b = size.to_be_bytes().to_vec();
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(major);
        b.extend_from_slice(&[0, 0, 2, 0]);
        compatible.iter().for_each(|c| b.extend_from_slice(*c));
        b
    }

    fn ebml(doc_type: &[u8]) -> Vec<u8> {
        let mut body = vec![0x42, 0x86, 0x81, 0x01, 0x42, 0xF7, 0x81, 0x01];
        body.extend_from_slice(&[0x42, 0x82, 0x80 | doc_type.len() as u8]);
        body.extend_from_slice(doc_type);
        body.extend_from_slice(&[0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02]);
        let mut b = vec![0x1A, 0x45, 0xDF, 0xA3, 0x80 | body.len() as u8];
        b.extend(body);
        b.extend_from_slice(&[0x18, 0x53, 0x80, 0x67]); // Segment follows.
        b
    }

    #[test]
    fn ftyp_with_isom_major_brand_is_mp4() {
        assert_eq!(sniff_video(&ftyp(b"isom", &[b"isom", b"avc1"])), MP4);
    }

    #[test]
    fn ftyp_with_qt_major_brand_is_quicktime() {
        assert_eq!(sniff_video(&ftyp(b"qt  ", &[b"qt  "])), QT);
    }

    #[test]
    fn ftyp_with_3gp_major_brand_is_mp4() {
        assert_eq!(sniff_video(&ftyp(b"3gp5", &[b"3gp5"])), MP4);
    }

    #[test]
    fn heic_image_is_not_a_video() {
        assert_eq!(sniff_video(&ftyp(b"heic", &[b"mif1", b"heic"])), None);
    }

    #[test]
    fn m4a_audio_with_isom_compatible_is_not_a_video() {
        assert_eq!(sniff_video(&ftyp(b"M4A ", &[b"mp42", b"isom"])), None);
    }

    #[test]
    fn unknown_major_brand_with_isom_compatible_is_mp4() {
        assert_eq!(sniff_video(&ftyp(b"xyz1", &[b"xyz1", b"isom"])), MP4);
    }

    #[test]
    fn unknown_major_brand_with_qt_compatible_is_quicktime() {
        assert_eq!(sniff_video(&ftyp(b"xyz1", &[b"qt  "])), QT);
    }

    #[test]
    fn compatible_brands_beyond_the_ftyp_box_are_ignored() {
        let mut b = ftyp(b"xyz1", &[b"abcd"]);
        b.extend_from_slice(b"isom"); // Next box's bytes, not a brand.
        assert_eq!(sniff_video(&b), None);
    }

    #[test]
    fn legacy_moov_atom_is_quicktime() {
        let b = [0, 0, 0x07, 0x17, b'm', b'o', b'o', b'v', 0, 0, 0, 0x6C];
        assert_eq!(sniff_video(&b), QT);
    }

    #[test]
    fn legacy_atom_with_impossible_size_is_rejected() {
        assert_eq!(sniff_video(&[0, 0, 0, 4, b'm', b'd', b'a', b't']), None);
    }

    #[test]
    fn ebml_header_with_webm_doc_type_is_webm() {
        assert_eq!(sniff_video(&ebml(b"webm")), Some(VideoKind::WebM));
    }

    #[test]
    fn ebml_header_with_matroska_doc_type_is_rejected() {
        assert_eq!(sniff_video(&ebml(b"matroska")), None);
    }

    #[test]
    fn truncated_or_malformed_ebml_header_is_rejected() {
        assert_eq!(sniff_video(&ebml(b"webm")[..18]), None);
        assert_eq!(
            sniff_video(&[0x1A, 0x45, 0xDF, 0xA3, 0x00, 0x42, 0x82]),
            None
        );
        assert_eq!(
            sniff_video(&[0x1A, 0x45, 0xDF, 0xA3, 0x01, 0, 0, 0, 0, 0, 0, 9]),
            None
        );
    }

    #[test]
    fn png_is_not_a_video() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR";
        assert_eq!(sniff_video(png), None);
    }

    #[test]
    fn empty_and_three_byte_inputs_are_not_videos() {
        assert_eq!(sniff_video(&[]), None);
        assert_eq!(sniff_video(&[0x1A, 0x45, 0xDF]), None);
    }

    #[test]
    fn random_bytes_and_text_are_not_videos() {
        let noise: Vec<u8> = (0u32..256)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert_eq!(sniff_video(&noise), None);
        assert_eq!(sniff_video(b"just some text, not a video at all"), None);
    }

    #[test]
    fn drawtext_labels_lose_filtergraph_metacharacters() {
        assert_eq!(
            drawtext_safe(" Legs: 'squats', [5x5]; 100%\\"),
            "Legs   squats    5x5   100"
        );
    }

    /// A fresh directory, removed even when an assertion fails.
    struct Scratch(std::path::PathBuf);
    impl Scratch {
        fn new() -> anyhow::Result<Self> {
            let dir = std::env::temp_dir().join(format!("fitcore-media-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&dir)?;
            Ok(Self(dir))
        }
    }
    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[tokio::test]
    async fn demo_video_round_trips_through_sniff_probe_and_thumbnail() -> anyhow::Result<()> {
        let dir = Scratch::new()?;
        let (video, thumb) = (dir.0.join("demo.mp4"), dir.0.join("thumb.jpg"));
        if !tools_available().await {
            assert!(!generate_demo_video(&video, 2, "Demo").await?);
            std::fs::write(&video, ftyp(b"isom", &[b"isom"]))?;
            assert_eq!(probe_duration_seconds(&video).await, None);
            assert!(!make_thumbnail(&video, &thumb).await?);
            return Ok(());
        }
        assert!(generate_demo_video(&video, 2, "Demo: 'Squats'").await?);
        let head = std::fs::read(&video)?;
        assert_eq!(sniff_video(&head[..SNIFF_LEN.min(head.len())]), MP4);
        assert_eq!(probe_duration_seconds(&video).await, Some(2));
        assert!(make_thumbnail(&video, &thumb).await?);
        assert!(std::fs::read(&thumb)?.starts_with(&[0xFF, 0xD8, 0xFF]));
        Ok(())
    }

    #[tokio::test]
    async fn helpers_refuse_files_that_are_not_videos() -> anyhow::Result<()> {
        let dir = Scratch::new()?;
        let playlist = dir.0.join("notes.mp4");
        std::fs::write(&playlist, "#EXTM3U\n#EXT-X-ENDLIST\n")?;
        assert_eq!(probe_duration_seconds(&playlist).await, None);
        let thumb = make_thumbnail(&playlist, &dir.0.join("t.jpg")).await;
        assert_eq!(thumb.is_err(), tools_available().await);
        Ok(())
    }
}
