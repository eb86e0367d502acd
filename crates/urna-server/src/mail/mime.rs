//! Just enough MIME to read the mails Urna sends (and ordinary mail clients produce): header
//! unfolding and RFC 2047 encoded words, `base64` and `quoted-printable` bodies, `multipart/*`
//! nesting, UTF-8 and Latin-1 text. Lenient: malformed input gives a best effort, never an
//! error or a panic.

use std::borrow::Cow;

/// The deepest `multipart` nesting followed.
const MAX_DEPTH: usize = 16;

/// The first URL in the message that starts with `prefix`, `#fragment` included, after
/// undoing the transfer encoding of every text part. The URL ends at whitespace, a quote or
/// an angle bracket; trailing sentence punctuation is dropped.
///
/// For example `extract_link(raw, "http://127.0.0.1:8080/vote/")` gives the voting link
/// `http://127.0.0.1:8080/vote/{id}#{credential}` of an invitation.
pub fn extract_link(raw_message: &[u8], prefix: &str) -> Option<String> {
    if prefix.is_empty() {
        return None;
    }
    let mut texts = Vec::new();
    collect_text(raw_message, 0, &mut texts);
    texts
        .iter()
        .find_map(|text| find_link(text, prefix))
        // Not MIME at all, or an unusual structure: look at the bytes as they are.
        .or_else(|| find_link(&String::from_utf8_lossy(raw_message), prefix))
}

/// Every text part of the message (`text/*`, decoded), joined by newlines, with `\n` line
/// ends.
pub fn text_body(raw_message: &[u8]) -> String {
    let mut texts = Vec::new();
    collect_text(raw_message, 0, &mut texts);
    texts.join("\n").replace("\r\n", "\n")
}

/// The first header field called `name` (case-insensitive) of the message, unfolded and with
/// RFC 2047 encoded words decoded.
pub fn header(raw_message: &[u8], name: &str) -> Option<String> {
    let (head, _) = split_entity(raw_message);
    parse_headers(head)
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, value)| decode_words(&value))
}

fn find_link(text: &str, prefix: &str) -> Option<String> {
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|t| t.find(prefix)) {
        let start = from + found;
        let after = start + prefix.len();
        let rest = text.get(after..).unwrap_or("");
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`'))
            .unwrap_or(rest.len());
        let tail = rest
            .get(..end)
            .unwrap_or("")
            .trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']']);
        if !tail.is_empty() {
            return Some(format!("{prefix}{tail}"));
        }
        from = after;
    }
    None
}

/// Splits an entity into its header block and its body (after the first empty line).
fn split_entity(raw: &[u8]) -> (&[u8], &[u8]) {
    let mut pos = 0;
    while pos < raw.len() {
        let end = raw[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |i| pos + i + 1);
        let line = &raw[pos..end];
        if line == b"\n" || line == b"\r\n" {
            return (&raw[..pos], &raw[end..]);
        }
        pos = end;
    }
    (raw, &[])
}

/// Header fields in order, unfolded; names as written, values trimmed and still encoded.
fn parse_headers(head: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(head);
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    fields
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// `type/subtype` (lower case) and the parameters (names lower case, values unquoted).
fn parse_content_type(value: &str) -> (String, Vec<(String, String)>) {
    let mut pieces = split_unquoted(value, ';').into_iter();
    let mime = pieces
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let params = pieces
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .map_or_else(
                    || v.to_owned(),
                    |v| v.replace("\\\"", "\"").replace("\\\\", "\\"),
                );
            Some((k.trim().to_ascii_lowercase(), v))
        })
        .collect();
    (mime, params)
}

fn split_unquoted(value: &str, separator: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            out.push(std::mem::take(&mut current));
            continue;
        }
        current.push(c);
    }
    out.push(current);
    out
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Appends the decoded text parts of the entity `raw` to `out`.
fn collect_text(raw: &[u8], depth: usize, out: &mut Vec<String>) {
    if depth > MAX_DEPTH {
        return;
    }
    let (head, body) = split_entity(raw);
    let fields = parse_headers(head);
    let (mime, params) = field(&fields, "Content-Type")
        .map(parse_content_type)
        .unwrap_or_else(|| ("text/plain".into(), Vec::new()));
    let encoding = field(&fields, "Content-Transfer-Encoding")
        .unwrap_or("7bit")
        .trim()
        .to_ascii_lowercase();
    if mime.starts_with("multipart/") {
        if let Some(boundary) = param(&params, "boundary") {
            for part in multipart_parts(body, boundary) {
                collect_text(part, depth + 1, out);
            }
        }
        return;
    }
    if mime == "message/rfc822" || mime == "message/global" {
        collect_text(&decode_transfer(body, &encoding), depth + 1, out);
        return;
    }
    if mime.starts_with("text/") || mime.is_empty() {
        let bytes = decode_transfer(body, &encoding);
        let charset = param(&params, "charset").unwrap_or("utf-8");
        out.push(decode_charset(&bytes, charset).into_owned());
    }
}

/// The bodies of a multipart entity's parts.
fn multipart_parts<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut part_start: Option<usize> = None;
    let mut pos = 0;
    while pos < body.len() {
        let end = body[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(body.len(), |i| pos + i + 1);
        let line = String::from_utf8_lossy(&body[pos..end]);
        let line = line.trim_end();
        let closing = line.strip_prefix(delimiter.as_str()) == Some("--");
        if line == delimiter || closing {
            if let Some(start) = part_start {
                // The line break before a delimiter belongs to the delimiter.
                let mut stop = pos.max(start);
                if stop > start && body[stop - 1] == b'\n' {
                    stop -= 1;
                    if stop > start && body[stop - 1] == b'\r' {
                        stop -= 1;
                    }
                }
                parts.push(&body[start..stop]);
            }
            if closing {
                return parts;
            }
            part_start = Some(end);
        }
        pos = end;
    }
    if let Some(start) = part_start {
        parts.push(&body[start.min(body.len())..]);
    }
    parts
}

fn decode_transfer(body: &[u8], encoding: &str) -> Vec<u8> {
    match encoding {
        "base64" => decode_base64(body),
        "quoted-printable" => decode_quoted_printable(body, false),
        _ => body.to_vec(),
    }
}

fn decode_charset<'a>(bytes: &'a [u8], charset: &str) -> Cow<'a, str> {
    match charset.trim().to_ascii_lowercase().as_str() {
        "iso-8859-1" | "iso8859-1" | "latin1" | "latin-1" | "iso-8859-15" | "windows-1252"
        | "cp1252" => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
        _ => String::from_utf8_lossy(bytes),
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Quoted-printable (RFC 2045 §6.7); with `q_words`, the "Q" encoding of RFC 2047 (`_` is a
/// space). Invalid escapes are kept as they are.
fn decode_quoted_printable(input: &[u8], q_words: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'=' => {
                // A soft line break: "=", optional transport padding, then the line end.
                let mut j = i + 1;
                while j < input.len() && matches!(input[j], b' ' | b'\t') {
                    j += 1;
                }
                if input.get(j) == Some(&b'\n') {
                    i = j + 1;
                    continue;
                }
                if input.get(j) == Some(&b'\r') && input.get(j + 1) == Some(&b'\n') {
                    i = j + 2;
                    continue;
                }
                if j == input.len() {
                    break;
                }
                let high = input.get(i + 1).copied().and_then(hex_value);
                let low = input.get(i + 2).copied().and_then(hex_value);
                if let (Some(h), Some(l)) = (high, low) {
                    out.push(h << 4 | l);
                    i += 3;
                } else {
                    out.push(b'=');
                    i += 1;
                }
            }
            b'_' if q_words => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Base64, ignoring line breaks and anything outside the alphabet; stops at padding.
fn decode_base64(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &b in input {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    out
}

/// Decodes RFC 2047 encoded words (`=?charset?B|Q?text?=`); whitespace between adjacent
/// encoded words is dropped, as the RFC says.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        match parse_word(&rest[start..]) {
            Some((decoded, len)) => {
                if !(after_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&decoded);
                rest = &rest[start + len..];
                after_word = true;
            }
            None => {
                out.push_str(&rest[..start + 2]);
                rest = &rest[start + 2..];
                after_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

/// One encoded word at the start of `s` (which starts with `=?`): its text and length.
fn parse_word(s: &str) -> Option<(String, usize)> {
    let inner = s.get(2..)?;
    let q1 = inner.find('?')?;
    let charset = inner[..q1].split('*').next().unwrap_or("");
    let encoding = inner.get(q1 + 1..q1 + 2)?;
    if inner.get(q1 + 2..q1 + 3)? != "?" {
        return None;
    }
    let text = inner.get(q1 + 3..)?;
    let end = text.find("?=")?;
    let payload = &text[..end];
    if payload.contains(char::is_whitespace) {
        return None;
    }
    let bytes = match encoding {
        "B" | "b" => decode_base64(payload.as_bytes()),
        "Q" | "q" => decode_quoted_printable(payload.as_bytes(), true),
        _ => return None,
    };
    Some((
        decode_charset(&bytes, charset).into_owned(),
        2 + q1 + 3 + end + 2,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "https://val.example.edu/vote/e1#ABC=DEF-ghi_jkl";

    #[test]
    fn links_in_every_transfer_encoding() {
        let text = format!("Hej Åsa!\r\n\r\nDin länk:\r\n\r\n{LINK}\r\n\r\nHälsningar\r\n");
        let plain = format!(
            "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Transfer-Encoding: 8bit\r\n\r\n{text}"
        );
        assert_eq!(
            extract_link(plain.as_bytes(), "https://val.example.edu/vote/").as_deref(),
            Some(LINK)
        );

        // Quoted-printable with the link broken by soft line breaks and '=' escaped.
        let qp = "Subject: x\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\
                  Content-Transfer-Encoding: Quoted-Printable\r\n\r\n\
                  Hej =C3=85sa!\r\n\r\nhttps://val.example.edu/vo=\r\nte/e1#ABC=3DDEF-=\r\n\
                  ghi_jkl\r\n";
        assert_eq!(
            extract_link(qp.as_bytes(), "https://val.example.edu/vote/").as_deref(),
            Some(LINK)
        );
        assert!(text_body(qp.as_bytes()).starts_with("Hej Åsa!\n"));

        let b64 = data_encoding::BASE64.encode(text.as_bytes());
        let wrapped: Vec<&str> = b64
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let b64_mail = format!(
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            wrapped.join("\r\n")
        );
        assert_eq!(
            extract_link(b64_mail.as_bytes(), "https://val.example.edu/vote/e1#").as_deref(),
            Some(LINK)
        );
        assert_eq!(text_body(b64_mail.as_bytes()), text.replace("\r\n", "\n"));

        // Latin-1, multipart/alternative with an HTML part first.
        let multipart = format!(
            "MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary=\"b1 x\"\r\n\r\n\
             preamble\r\n--b1 x\r\nContent-Type: text/html; charset=iso-8859-1\r\n\
             Content-Transfer-Encoding: quoted-printable\r\n\r\n<p>H=E4r: <a href=3D\"{qp}\">{qp}</a>.</p>\r\n\
             --b1 x\r\nContent-Type: text/plain\r\n\r\nsee {LINK}.\r\n--b1 x--\r\nepilogue\r\n",
            qp = LINK.replace('=', "=3D"),
        );
        assert_eq!(
            extract_link(multipart.as_bytes(), "https://val.example.edu/vote/").as_deref(),
            Some(LINK)
        );
        let body = text_body(multipart.as_bytes());
        assert!(body.contains("<p>Här: "), "{body}");
        assert!(body.ends_with(&format!("see {LINK}.")), "{body}");
        assert!(!body.contains("preamble") && !body.contains("epilogue"));

        // Trailing punctuation, no match, bare prefix, not MIME at all.
        assert_eq!(
            find_link(&format!("({LINK}). Next"), "https://val.example.edu/").as_deref(),
            Some(LINK)
        );
        assert_eq!(
            extract_link(plain.as_bytes(), "https://other.example/"),
            None
        );
        assert_eq!(extract_link(plain.as_bytes(), ""), None);
        assert_eq!(
            find_link(&format!("https://x/vote/ then {LINK}"), "https://").as_deref(),
            Some("https://x/vote/")
        );
        assert_eq!(
            find_link(
                &format!("https://val.example.edu/vote/ {LINK}"),
                "https://val.example.edu/vote/"
            )
            .as_deref(),
            Some(LINK)
        );
        assert_eq!(
            extract_link(LINK.as_bytes(), "https://val.example.edu/").as_deref(),
            Some(LINK)
        );
    }

    #[test]
    fn headers_are_unfolded_and_decoded() {
        let raw = b"From: Urna <urna@example.edu>\r\n\
            Subject: =?utf-8?b?UsO2c3Rrb3J0OiBWYWw=?=\r\n =?utf-8?q?_av_l=C3=A4rare?= / Voting\r\n\
            To: =?ISO-8859-1?Q?V=E4ljare?= <v@example.edu>\r\n\
            X-Broken: =?utf-8?x?abc?= =?nope\r\n\r\nbody =?utf-8?b?eA==?=\r\n";
        assert_eq!(
            header(raw, "subject").as_deref(),
            Some("Röstkort: Val av lärare / Voting")
        );
        assert_eq!(
            header(raw, "TO").as_deref(),
            Some("Väljare <v@example.edu>")
        );
        assert_eq!(
            header(raw, "X-Broken").as_deref(),
            Some("=?utf-8?x?abc?= =?nope")
        );
        assert_eq!(header(raw, "Body"), None);
        assert_eq!(text_body(raw), "body =?utf-8?b?eA==?=\n");
    }

    #[test]
    fn garbage_does_not_panic() {
        for raw in [
            &b""[..],
            b"\r\n",
            b"=",
            b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n",
            b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n",
            b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x",
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n=4",
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n=\xff\xfe=",
            b"Content-Transfer-Encoding: base64\r\n\r\n\xff==AAA",
            b"Subject: =?\r\n\r\n",
            b"Subject: =?utf-8?\r\n\r\n",
            b"Subject: =?utf-8?b\r\n\r\n",
            b"Subject: =?\xc3\xa5?b?=\r\n\r\n",
        ] {
            let _ = extract_link(raw, "http://");
            let _ = text_body(raw);
            let _ = header(raw, "Subject");
        }
        // Nesting is bounded.
        let mut raw = String::from("x");
        for i in 0..40 {
            raw = format!(
                "Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n{raw}\r\n--b{i}--\r\n"
            );
        }
        let _ = text_body(raw.as_bytes());
    }
}
