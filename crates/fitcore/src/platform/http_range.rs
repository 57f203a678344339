//! Pure HTTP range and conditional-request rules (RFC 9110).
//!
//! Decides the status of a `GET`/`HEAD` of a static representation (a workout
//! video) from the request headers alone; the handler does the I/O. Header
//! values are read as raw bytes and never trusted: every input yields a
//! `Decision`, none panics.
//!
//! `HEAD` is decided exactly like `GET` (RFC 9110 defines Range for GET only),
//! so a `HEAD` reports the status, `Content-Length` and `Content-Range` the
//! `GET` would; the handler just omits the body.

use axum::http::header::{
    ACCEPT_RANGES, ETAG, IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE,
    LAST_MODIFIED, RANGE,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use chrono::{DateTime, NaiveDateTime, Utc};

/// A longer `Range` header is ignored (served in full) rather than parsed.
/// (Any count of ranges above one is served in full too; see `range_decision`.)
const MAX_RANGE_HEADER_LEN: usize = 1024;
const IMF_FIXDATE: &str = "%a, %d %b %Y %H:%M:%S GMT";

/// What is being served.
pub struct Representation {
    pub len: u64,
    /// A strong entity tag including quotes, e.g. "\"v42-1048576-1700000000\"".
    pub etag: String,
    /// Second precision is what HTTP dates carry; compare at second precision.
    pub last_modified: DateTime<Utc>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// 200 with the whole body.
    Full,
    /// 206 with bytes start..=end (inclusive).
    Partial { start: u64, end: u64 },
    /// 304, no body.
    NotModified,
    /// 412 (If-Match / If-Unmodified-Since failed).
    PreconditionFailed,
    /// 416 with `Content-Range: bytes */len`.
    Unsatisfiable,
}

/// Evaluates the preconditions in RFC 9110 section 13.2.2 order, then Range.
pub fn decide(method: &Method, headers: &HeaderMap, rep: &Representation) -> Decision {
    let get_or_head = method == Method::GET || method == Method::HEAD;
    let ours = own_tag(&rep.etag);
    // Clients only ever saw the truncated Last-Modified, so compare seconds.
    let modified = rep.last_modified.timestamp();

    // Steps 1-2. If-Unmodified-Since only counts without If-Match (13.1.4).
    if let Some(list) = field(headers, &IF_MATCH) {
        if !tags_match(&list, ours, strong_eq) {
            return Decision::PreconditionFailed;
        }
    } else if date_field(headers, &IF_UNMODIFIED_SINCE).is_some_and(|d| modified > d) {
        return Decision::PreconditionFailed;
    }
    // Steps 3-4. If-Modified-Since only counts without If-None-Match.
    if let Some(list) = field(headers, &IF_NONE_MATCH) {
        if tags_match(&list, ours, weak_eq) {
            // Other methods must not proceed on a match (13.1.2).
            return if get_or_head {
                Decision::NotModified
            } else {
                Decision::PreconditionFailed
            };
        }
    } else if get_or_head && date_field(headers, &IF_MODIFIED_SINCE).is_some_and(|d| modified <= d)
    {
        return Decision::NotModified;
    }
    // Step 5. Range is defined for GET only; HEAD mirrors GET (module doc).
    let Some(range) = field(headers, &RANGE).filter(|_| get_or_head) else {
        return Decision::Full;
    };
    // A failed or unreadable If-Range means "send me everything instead".
    if let Some(cond) = field(headers, &IF_RANGE)
        && !if_range_holds(&cond, ours, modified)
    {
        return Decision::Full;
    }
    range_decision(&range, rep.len)
}

/// The headers every answer carries: ETag, Last-Modified (IMF-fixdate), Accept-Ranges: bytes.
pub fn validator_headers(rep: &Representation) -> Vec<(HeaderName, HeaderValue)> {
    let mut out = Vec::with_capacity(3);
    // An etag that is no legal header value is left out instead of panicking.
    if let Ok(v) = HeaderValue::from_str(&rep.etag) {
        out.push((ETAG, v));
    }
    if let Ok(v) = HeaderValue::from_str(&http_date(rep.last_modified)) {
        out.push((LAST_MODIFIED, v));
    }
    out.push((ACCEPT_RANGES, HeaderValue::from_static("bytes")));
    out
}

/// `Content-Range` value for a decision: "bytes 0-99/1000" for Partial,
/// "bytes */1000" for Unsatisfiable, None otherwise.
pub fn content_range(d: &Decision, len: u64) -> Option<String> {
    match d {
        Decision::Partial { start, end } => Some(format!("bytes {start}-{end}/{len}")),
        Decision::Unsatisfiable => Some(format!("bytes */{len}")),
        _ => None,
    }
}

/// Formats an HTTP date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT").
pub fn http_date(t: DateTime<Utc>) -> String {
    t.format(IMF_FIXDATE).to_string()
}

/// Parses IMF-fixdate, RFC 850 and asctime dates (RFC 9110 5.6.7); the
/// weekday must agree with the date. RFC 850's two-digit years use chrono's
/// pivot (70-99 are 19xx, 00-69 are 20xx) instead of the RFC's "not more than
/// 50 years ahead" rule, which would need a clock.
pub fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim_matches([' ', '\t']);
    [
        IMF_FIXDATE,
        "%A, %d-%b-%y %H:%M:%S GMT",
        "%a %b %e %H:%M:%S %Y",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .map(|t| t.and_utc())
}

/// All lines of a header joined with commas (RFC 9110 5.3). For fields that
/// allow one value, a second line makes the joined value invalid, so it is
/// then ignored like any other malformed value.
fn field(headers: &HeaderMap, name: &HeaderName) -> Option<Vec<u8>> {
    let mut lines = headers.get_all(name).iter();
    let mut out = lines.next()?.as_bytes().to_vec();
    for line in lines {
        out.push(b',');
        out.extend_from_slice(line.as_bytes());
    }
    Some(out)
}

/// A date field in seconds; an invalid date is ignored (RFC 9110 13.1.3-4).
fn date_field(headers: &HeaderMap, name: &HeaderName) -> Option<i64> {
    let value = field(headers, name)?;
    Some(parse_http_date(std::str::from_utf8(&value).ok()?)?.timestamp())
}

/// An entity tag; `opaque` excludes the quotes.
#[derive(Clone, Copy)]
struct EntityTag<'a> {
    weak: bool,
    opaque: &'a [u8],
}

fn strong_eq(a: EntityTag, b: EntityTag) -> bool {
    !a.weak && !b.weak && a.opaque == b.opaque
}

fn weak_eq(a: EntityTag, b: EntityTag) -> bool {
    a.opaque == b.opaque
}

/// Our own tag. If it is malformed nothing matches it, which fails safe:
/// If-Match gives 412, If-None-Match never 304, If-Range sends everything.
fn own_tag(etag: &str) -> Option<EntityTag<'_>> {
    parse_tag(etag.as_bytes()).and_then(|(tag, rest)| rest.is_empty().then_some(tag))
}

/// Parses one `[W/]"etagc*"` at the start of `s`; returns it and the rest.
fn parse_tag(s: &[u8]) -> Option<(EntityTag<'_>, &[u8])> {
    let (weak, s) = s
        .strip_prefix(b"W/")
        .map_or((false, s), |rest| (true, rest));
    let s = s.strip_prefix(b"\"")?;
    let close = s.iter().position(|&b| b == b'"')?;
    let (opaque, rest) = s.split_at(close);
    // etagc = %x21 / %x23-7E / obs-text. It includes ',': split lists by parsing.
    if !opaque
        .iter()
        .all(|&b| b == 0x21 || (b >= 0x23 && b != 0x7F))
    {
        return None;
    }
    Some((EntityTag { weak, opaque }, rest.get(1..)?))
}

/// Whether an If-Match / If-None-Match value lists our tag. `*` matches any
/// current representation; a malformed list matches nothing.
fn tags_match(list: &[u8], ours: Option<EntityTag>, eq: fn(EntityTag, EntityTag) -> bool) -> bool {
    let (mut s, mut found) = (list.trim_ascii(), false);
    if s == b"*" {
        return true;
    }
    while !s.is_empty() {
        if let Some((tag, rest)) = parse_tag(s) {
            found |= ours.is_some_and(|ours| eq(tag, ours));
            s = rest.trim_ascii_start();
        }
        // After a tag, or instead of one (an empty list element): a comma.
        match s.split_first() {
            Some((b',', rest)) => s = rest.trim_ascii_start(),
            Some(_) => return false,
            None => {}
        }
    }
    found
}

/// If-Range holds for a strong etag match or an HTTP date equal to
/// Last-Modified; a quote or "W/" tells a tag from a date (RFC 9110 13.1.5).
fn if_range_holds(v: &[u8], ours: Option<EntityTag>, modified: i64) -> bool {
    let v = v.trim_ascii();
    if v.starts_with(b"\"") || v.starts_with(b"W/") {
        return match (parse_tag(v), ours) {
            (Some((tag, rest)), Some(ours)) => rest.is_empty() && strong_eq(tag, ours),
            _ => false,
        };
    }
    std::str::from_utf8(v)
        .ok()
        .and_then(parse_http_date)
        .is_some_and(|d| d.timestamp() == modified)
}

/// Invalid syntax, another unit or several ranges all mean Full: ignoring
/// Range is always allowed (RFC 9110 14.2) and we send no multipart/byteranges.
fn range_decision(value: &[u8], len: u64) -> Decision {
    if value.len() > MAX_RANGE_HEADER_LEN {
        return Decision::Full;
    }
    let Some((first, last)) = parse_single_range(value) else {
        return Decision::Full;
    };
    let (start, end) = match (first, last) {
        (Some(first), last) => (first, last.unwrap_or(u64::MAX)),
        (None, Some(0) | None) => return Decision::Unsatisfiable,
        (None, Some(suffix)) => (len.saturating_sub(suffix), u64::MAX),
    };
    // Also covers len == 0: no byte range of an empty file is satisfiable.
    if start >= len {
        return Decision::Unsatisfiable;
    }
    let end = end.min(len - 1);
    Decision::Partial { start, end }
}

/// `bytes=first-last`, `bytes=first-` or `bytes=-suffix` as (first, last);
/// None unless the value holds exactly one well-formed range.
fn parse_single_range(value: &[u8]) -> Option<(Option<u64>, Option<u64>)> {
    let eq = value.iter().position(|&b| b == b'=')?;
    let (unit, set) = value.split_at(eq);
    if !unit.trim_ascii().eq_ignore_ascii_case(b"bytes") {
        return None;
    }
    let mut found = None;
    for element in set.get(1..)?.split(|&b| b == b',') {
        let element = element.trim_ascii();
        if element.is_empty() {
            continue; // empty list elements are legal
        }
        if found.is_some() {
            return None;
        }
        let mut ends = element.splitn(2, |&b| b == b'-');
        let (first, last) = (number(ends.next()?)?, number(ends.next()?)?);
        found = match (first, last) {
            (None, None) => return None,
            (Some(first), Some(last)) if last < first => return None,
            spec => Some(spec),
        };
    }
    found
}

/// "" is Some(None); 1*DIGIT is Some(Some(n)); anything else (including the
/// "+1" that `str::parse` accepts) is None. Too-large numbers saturate at
/// `u64::MAX`, which puts a first byte past any end, clamps a last byte to the
/// end, and makes a suffix cover the whole representation.
fn number(digits: &[u8]) -> Option<Option<u64>> {
    if digits.is_empty() {
        return Some(None);
    }
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits.iter().fold(0u64, |n, &d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    Some(Some(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::{Full, NotModified, PreconditionFailed as Failed, Unsatisfiable};

    const LM: i64 = 784_111_777; // Sun, 06 Nov 1994 08:49:37 GMT
    const LM_STR: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
    const EARLIER: &str = "Sun, 06 Nov 1994 08:49:36 GMT";
    const LATER: &str = "Sun, 06 Nov 1994 08:49:38 GMT";

    fn at(secs: i64, nanos: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, nanos).expect("valid test timestamp")
    }

    /// A `len`-byte representation with etag "v1", last modified at LM.
    fn rep(len: u64) -> Representation {
        let (etag, last_modified) = ("\"v1\"".into(), at(LM, 0));
        Representation {
            len,
            etag,
            last_modified,
        }
    }

    fn ask(method: Method, rep: &Representation, headers: &[(&str, &[u8])]) -> Decision {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            let name = HeaderName::from_bytes(k.as_bytes()).expect("test header name");
            map.append(name, HeaderValue::from_bytes(v).expect("test header value"));
        }
        decide(&method, &map, rep)
    }

    fn part(start: u64, end: u64) -> Decision {
        Decision::Partial { start, end }
    }

    /// One test per entry: this request for `rep(1000)` gets this decision.
    /// Header names are written as identifiers: `if_range` is If-Range.
    macro_rules! cases {
        ($($name:ident: $method:ident($($k:ident: $v:expr),*) => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                let owned: Vec<(String, Vec<u8>)> = vec![$((
                    stringify!($k).replace('_', "-"),
                    AsRef::<[u8]>::as_ref(&$v).to_vec(),
                )),*];
                let headers: Vec<_> = owned.iter().map(|(k, v)| (&k[..], &v[..])).collect();
                assert_eq!(ask(Method::$method, &rep(1000), &headers), $want);
            }
        )*};
    }

    cases! {
        no_range_serves_the_whole_body: GET() => Full;
        closed_range_is_partial: GET(range: "bytes=0-99") => part(0, 99);
        single_last_byte_is_partial: GET(range: "bytes=999-999") => part(999, 999);
        open_range_runs_to_the_last_byte: GET(range: "bytes=900-") => part(900, 999);
        suffix_range_serves_the_last_n_bytes: GET(range: "bytes=-100") => part(900, 999);
        last_byte_pos_past_the_end_is_clamped: GET(range: "bytes=500-5000") => part(500, 999);
        suffix_longer_than_the_file_starts_at_zero: GET(range: "bytes=-5000") => part(0, 999);
        whole_file_range_is_still_partial: GET(range: "bytes=0-999") => part(0, 999);
        whitespace_and_unit_case_are_tolerated: GET(range: " Bytes= 0-9 ") => part(0, 9);
        empty_list_elements_are_skipped: GET(range: "bytes=,0-9, ,") => part(0, 9);
        first_byte_pos_at_the_end_is_unsatisfiable: GET(range: "bytes=1000-") => Unsatisfiable;
        first_byte_pos_past_the_end_is_unsatisfiable:
            GET(range: "bytes=2000-3000") => Unsatisfiable;
        zero_suffix_is_unsatisfiable: GET(range: "bytes=-0") => Unsatisfiable;
        non_numeric_range_is_ignored: GET(range: "bytes=abc") => Full;
        range_without_dash_is_ignored: GET(range: "bytes=5") => Full;
        other_range_unit_is_ignored: GET(range: "items=0-1") => Full;
        reversed_range_is_ignored: GET(range: "bytes=10-5") => Full;
        empty_range_header_is_ignored: GET(range: "") => Full;
        range_without_numbers_is_ignored: GET(range: "bytes=-") => Full;
        signed_numbers_are_ignored: GET(range: "bytes=+1-2") => Full;
        space_inside_a_range_is_ignored: GET(range: "bytes=1 -2") => Full;
        non_ascii_range_is_ignored: GET(range: b"bytes=0-\xff9") => Full;
        overflowing_first_byte_pos_is_unsatisfiable:
            GET(range: "bytes=99999999999999999999-") => Unsatisfiable;
        two_overflowing_positions_are_unsatisfiable:
            GET(range: format!("bytes={0}-{0}", "9".repeat(20))) => Unsatisfiable;
        overflowing_first_above_last_is_ignored: GET(range: "bytes=99999999999999999999-5") => Full;
        overflowing_last_byte_pos_is_clamped:
            GET(range: "bytes=10-99999999999999999999") => part(10, 999);
        overflowing_suffix_serves_everything:
            GET(range: "bytes=-99999999999999999999") => part(0, 999);
        several_ranges_are_served_in_full: GET(range: "bytes=0-1,5-6") => Full;
        several_range_lines_are_served_in_full: GET(range: "bytes=0-1", range: "bytes=5-6") => Full;
        seventeen_ranges_are_served_in_full:
            GET(range: format!("bytes=0-1{}", ",2-3".repeat(16))) => Full;
        overlong_range_header_is_served_in_full:
            GET(range: format!("bytes={}-1", "0".repeat(1100))) => Full;
        head_is_decided_like_get: HEAD(range: "bytes=0-9") => part(0, 9);
        range_is_ignored_for_other_methods: POST(range: "bytes=0-9") => Full;
        if_range_with_our_strong_etag_allows_partial:
            GET(range: "bytes=0-9", if_range: "\"v1\"") => part(0, 9);
        if_range_with_another_etag_serves_full: GET(range: "bytes=0-9", if_range: "\"v2\"") => Full;
        if_range_with_a_weak_etag_serves_full:
            GET(range: "bytes=0-9", if_range: "W/\"v1\"") => Full;
        if_range_with_the_exact_date_allows_partial:
            GET(range: "bytes=0-9", if_range: LM_STR) => part(0, 9);
        if_range_with_another_date_serves_full: GET(range: "bytes=0-9", if_range: LATER) => Full;
        unreadable_if_range_serves_full: GET(range: "bytes=0-9", if_range: "yesterday") => Full;
        if_none_match_with_our_tag_is_not_modified: GET(if_none_match: "\"v1\"") => NotModified;
        if_none_match_compares_weakly: GET(if_none_match: "W/\"v1\"") => NotModified;
        if_none_match_list_with_whitespace_matches:
            GET(if_none_match: " \"a\" ,W/\"b\",\t\"v1\" ") => NotModified;
        if_none_match_lines_form_one_list:
            GET(if_none_match: "\"a\"", if_none_match: "\"v1\"") => NotModified;
        if_none_match_star_is_not_modified: GET(if_none_match: "*") => NotModified;
        if_none_match_takes_precedence_over_range:
            GET(if_none_match: "\"v1\"", range: "bytes=0-9") => NotModified;
        if_none_match_mismatch_with_range_is_partial:
            GET(if_none_match: "\"v0\"", range: "bytes=0-9") => part(0, 9);
        if_none_match_disables_if_modified_since:
            GET(if_none_match: "\"v0\"", if_modified_since: LATER) => Full;
        if_none_match_match_fails_other_methods: POST(if_none_match: "*") => Failed;
        if_modified_since_equal_is_not_modified: GET(if_modified_since: LM_STR) => NotModified;
        if_modified_since_later_is_not_modified: GET(if_modified_since: LATER) => NotModified;
        if_modified_since_earlier_serves_the_range:
            GET(if_modified_since: EARLIER, range: "bytes=0-9") => part(0, 9);
        invalid_if_modified_since_is_ignored: GET(if_modified_since: "tomorrow") => Full;
        if_match_mismatch_fails: GET(if_match: "\"v0\"", range: "bytes=0-9") => Failed;
        if_match_compares_strongly: GET(if_match: "W/\"v1\"") => Failed;
        malformed_if_match_fails: GET(if_match: "\"v1\" junk") => Failed;
        if_match_listing_our_tag_proceeds:
            GET(if_match: "\"v0\", \"v1\"", range: "bytes=0-9") => part(0, 9);
        if_match_star_proceeds: GET(if_match: "*") => Full;
        if_match_is_evaluated_before_if_none_match:
            GET(if_match: "\"v0\"", if_none_match: "\"v1\"") => Failed;
        if_unmodified_since_earlier_fails: GET(if_unmodified_since: EARLIER) => Failed;
        if_unmodified_since_equal_proceeds: GET(if_unmodified_since: LM_STR) => Full;
        if_unmodified_since_is_ignored_with_if_match:
            GET(if_match: "\"v1\"", if_unmodified_since: EARLIER) => Full;
    }

    #[test]
    fn every_range_of_an_empty_file_is_unsatisfiable() {
        for v in ["bytes=0-", "bytes=0-0", "bytes=-5"] {
            let got = ask(Method::GET, &rep(0), &[("range", v.as_bytes())]);
            assert_eq!(got, Unsatisfiable, "{v}");
        }
    }

    #[test]
    fn comma_inside_an_etag_belongs_to_the_tag() {
        let mut r = rep(1);
        r.etag = "\"a,b\"".into();
        let inm = |v: &[u8]| ask(Method::GET, &r, &[("if-none-match", v)]);
        assert_eq!(inm(b"\"a,b\""), NotModified);
        assert_eq!(inm(b"\"a\", \"b\""), Full);
    }

    #[test]
    fn dates_are_compared_at_second_precision() {
        let mut r = rep(1000);
        r.last_modified = at(LM, 999_000_000);
        let lm = LM_STR.as_bytes();
        let ims = ask(Method::GET, &r, &[("if-modified-since", lm)]);
        assert_eq!(ims, NotModified);
        let if_range = ask(
            Method::GET,
            &r,
            &[("range", b"bytes=0-9"), ("if-range", lm)],
        );
        assert_eq!(if_range, part(0, 9));
    }

    #[test]
    fn content_range_strings() {
        let cr = |d| content_range(&d, 1000);
        assert_eq!(cr(part(0, 99)).as_deref(), Some("bytes 0-99/1000"));
        assert_eq!(cr(Unsatisfiable).as_deref(), Some("bytes */1000"));
        assert_eq!(cr(Full), None);
        assert_eq!(cr(NotModified), None);
    }

    #[test]
    fn http_date_is_imf_fixdate_and_round_trips() {
        assert_eq!(http_date(at(LM, 123)), LM_STR);
        assert_eq!(parse_http_date(&http_date(at(LM, 123))), Some(at(LM, 0)));
    }

    #[test]
    fn parse_http_date_accepts_rfc850_and_asctime() {
        let lm = Some(at(LM, 0));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), lm);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), lm);
    }

    #[test]
    fn parse_http_date_rejects_other_text() {
        let utc = "Sun, 06 Nov 1994 08:49:37 UTC";
        for s in ["", "1994-11-06", utc, "Sun, 32 Nov 1994 08:49:37 GMT"] {
            assert_eq!(parse_http_date(s), None, "{s:?}");
        }
    }

    #[test]
    fn validator_headers_carry_etag_date_and_accept_ranges() {
        let headers = validator_headers(&rep(1));
        let text =
            |(k, v): &(HeaderName, HeaderValue)| format!("{k}: {}", v.to_str().unwrap_or("?"));
        let want = [
            "etag: \"v1\"",
            &format!("last-modified: {LM_STR}"),
            "accept-ranges: bytes",
        ];
        assert_eq!(headers.iter().map(text).collect::<Vec<_>>(), want);
    }

    #[test]
    fn validator_headers_skip_an_unrepresentable_etag() {
        let mut r = rep(1);
        r.etag = "\"a\nb\"".into();
        assert_eq!(validator_headers(&r).len(), 2);
    }

    #[test]
    fn odd_bytes_never_panic_and_partials_stay_in_bounds() {
        let alphabet = b"bytes=-,0123456789 \tW/\"*\xff\x80:GMTSun";
        let names = [
            "range",
            "if-range",
            "if-match",
            "if-none-match",
            "if-modified-since",
        ];
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D; // xorshift: reproducible
        for i in 0..3000 {
            let mut value = Vec::new();
            for _ in 0..i % 40 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                value.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            let _ = parse_http_date(&String::from_utf8_lossy(&value));
            let headers = [(names[i % names.len()], &value[..]), ("range", b"bytes=1-")];
            for len in [0, 1, 1000, u64::MAX] {
                let got = ask(Method::GET, &rep(len), &headers[..=i % 2]);
                if let Decision::Partial { start, end } = got {
                    assert!(start <= end && end < len, "{value:?} -> {got:?}");
                }
            }
        }
    }
}
