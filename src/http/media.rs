//! Media types in `Content-Type` and `Accept`, read per RFC 9110 §8.3.1 and
//! §12.5.1: case-insensitive type, subtype and parameter names, optional
//! whitespace around `;` and `,`, quoted parameter values, and q-values.
//!
//! async-graphql's extractor parses `Content-Type` with the `mime` crate,
//! which refuses `application/json ; charset=utf-8` (whitespace before the
//! `;`); the handlers here read the headers themselves with this module.

/// `application/graphql-response+json`.
pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
/// `application/json`.
pub const JSON: &str = "application/json";

/// A media type (or, in `Accept`, a media range): lower-case type and
/// subtype, and its parameters with lower-case names and unquoted values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    /// `application`, `text`, `*`, ...
    pub kind: String,
    /// `json`, `graphql-response+json`, `*`, ...
    pub subtype: String,
    /// `(name, value)` in order; names lower-cased, values as sent.
    pub parameters: Vec<(String, String)>,
}

impl MediaType {
    /// The value of parameter `name` (lower-case), if present.
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `type/subtype`, lower-case.
    pub fn essence(&self) -> String {
        format!("{}/{}", self.kind, self.subtype)
    }
}

/// RFC 9110 `tchar`.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// A cursor over a header value.
struct Reader<'a> {
    rest: &'a str,
}

impl<'a> Reader<'a> {
    fn skip_ows(&mut self) {
        self.rest = self.rest.trim_start_matches(is_ows);
    }

    fn eat(&mut self, c: char) -> bool {
        match self.rest.strip_prefix(c) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    fn token(&mut self) -> Option<&'a str> {
        let end = self.rest.find(|c| !is_tchar(c)).unwrap_or(self.rest.len());
        if end == 0 {
            return None;
        }
        let (token, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(token)
    }

    /// A quoted-string (after its opening quote was seen), unescaped.
    fn quoted(&mut self) -> Option<String> {
        let mut value = String::new();
        let mut chars = self.rest.char_indices();
        chars.next(); // the opening quote
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.rest = &self.rest[i + 1..];
                    return Some(value);
                }
                '\\' => {
                    let (_, escaped) = chars.next()?;
                    if escaped.is_control() && escaped != '\t' {
                        return None;
                    }
                    value.push(escaped);
                }
                c if c.is_control() && c != '\t' => return None,
                c => value.push(c),
            }
        }
        None
    }

    /// `type "/" subtype *( OWS ";" OWS [ parameter ] )`, stopping before
    /// a `,` or the end.
    fn media_type(&mut self) -> Option<MediaType> {
        let kind = self.token()?.to_ascii_lowercase();
        if !self.eat('/') {
            return None;
        }
        let subtype = self.token()?.to_ascii_lowercase();
        let mut parameters = Vec::new();
        loop {
            self.skip_ows();
            if !self.eat(';') {
                break;
            }
            self.skip_ows();
            // An empty parameter (`a/b;` or `a/b; ;c=d`) is allowed.
            if matches!(self.peek(), None | Some(';') | Some(',')) {
                continue;
            }
            let name = self.token()?.to_ascii_lowercase();
            if !self.eat('=') {
                return None;
            }
            let value = if self.peek() == Some('"') {
                self.quoted()?
            } else {
                self.token()?.to_owned()
            };
            parameters.push((name, value));
        }
        Some(MediaType {
            kind,
            subtype,
            parameters,
        })
    }
}

/// One media type: the whole header value, or None when it is not one.
pub fn parse(value: &str) -> Option<MediaType> {
    let mut reader = Reader {
        rest: value.trim_matches(is_ows),
    };
    let media = reader.media_type()?;
    reader.rest.is_empty().then_some(media)
}

/// The elements of an `Accept` list, each with its weight (1 when it has
/// none); elements that do not parse are left out.
pub fn parse_accept(value: &str) -> Vec<(MediaType, f32)> {
    let mut reader = Reader { rest: value };
    let mut ranges = Vec::new();
    loop {
        reader.skip_ows();
        if reader.rest.is_empty() {
            break;
        }
        if reader.eat(',') {
            continue;
        }
        if let Some(range) = reader.media_type() {
            reader.skip_ows();
            if reader.peek().is_none_or(|c| c == ',') {
                if let Some(q) = weight(&range) {
                    ranges.push((range, q));
                }
                continue;
            }
        }
        // Skip the malformed element up to the next comma outside quotes.
        skip_element(&mut reader);
    }
    ranges
}

/// Skips to the next `,` that is not inside a quoted string.
fn skip_element(reader: &mut Reader<'_>) {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in reader.rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                reader.rest = &reader.rest[i..];
                return;
            }
            _ => {}
        }
    }
    reader.rest = "";
}

/// The `q` of a media range: `0` to `1` with at most three decimals
/// (RFC 9110 §12.4.2); None when malformed.
fn weight(range: &MediaType) -> Option<f32> {
    let Some(q) = range.parameter("q") else {
        return Some(1.0);
    };
    let (whole, fraction) = q.split_once('.').unwrap_or((q, ""));
    let valid = match whole {
        "0" => fraction.len() <= 3 && fraction.chars().all(|c| c.is_ascii_digit()),
        "1" => fraction.len() <= 3 && fraction.chars().all(|c| c == '0'),
        _ => false,
    };
    if !valid {
        return None;
    }
    q.parse().ok()
}

/// Which of the response media types the client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMedia {
    /// `application/graphql-response+json`.
    GraphqlResponseJson,
    /// `application/json` (also for no `Accept`, or only wildcards).
    Json,
}

/// The response media type for an `Accept` header value (None for no
/// header): the acceptable one with the highest q-value; at equal weights
/// the one named more specifically, then the one listed first, then
/// `application/json`. None when neither is acceptable (406).
pub fn negotiate(accept: Option<&str>) -> Option<ResponseMedia> {
    let Some(accept) = accept.filter(|a| !a.trim_matches(is_ows).is_empty()) else {
        return Some(ResponseMedia::Json);
    };
    let ranges = parse_accept(accept);
    if ranges.is_empty() {
        // Nothing readable: as if there were no header.
        return Some(ResponseMedia::Json);
    }
    // (q, specificity, -position) of the most specific range matching.
    let rank = |kind: &str, subtype: &str| {
        ranges
            .iter()
            .enumerate()
            .filter_map(|(position, (range, q))| {
                let specificity = match (range.kind.as_str(), range.subtype.as_str()) {
                    (k, s) if k == kind && s == subtype => 2,
                    (k, "*") if k == kind => 1,
                    ("*", "*") => 0,
                    _ => return None,
                };
                Some((specificity, *q, position))
            })
            .max_by(|a, b| a.0.cmp(&b.0).then(b.2.cmp(&a.2)))
    };
    let graphql = rank("application", "graphql-response+json");
    let json = rank("application", "json");
    let acceptable = |r: Option<(i32, f32, usize)>| r.filter(|(_, q, _)| *q > 0.0);
    match (acceptable(graphql), acceptable(json)) {
        (None, None) => None,
        (Some(_), None) => Some(ResponseMedia::GraphqlResponseJson),
        (None, Some(_)) => Some(ResponseMedia::Json),
        (Some((gs, gq, gp)), Some((js, jq, jp))) => {
            let graphql_wins =
                gq > jq || (gq == jq && gs > js) || (gq == jq && gs == js && gs == 2 && gp < jp);
            Some(if graphql_wins {
                ResponseMedia::GraphqlResponseJson
            } else {
                ResponseMedia::Json
            })
        }
    }
}

/// Whether a request body of this `Content-Type` is JSON this service
/// reads: `application/json`, any parameters, and if a `charset` is given,
/// UTF-8.
pub fn is_json_body(content_type: Option<&str>) -> bool {
    let Some(media) = content_type.and_then(parse) else {
        return false;
    };
    media.essence() == JSON
        && media
            .parameter("charset")
            .is_none_or(|c| c.eq_ignore_ascii_case("utf-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_per_rfc_9110() {
        for ok in [
            "application/json",
            "Application/JSON",
            "application/json;charset=utf-8",
            "application/json; charset=utf-8",
            "application/json ; charset=utf-8",
            "application/json;\tcharset=UTF-8",
            "application/json;charset=\"utf-8\"",
            "application/json; charset=\"UTF-8\"; foo=bar",
            "application/json;",
            "  application/json  ",
        ] {
            assert!(is_json_body(Some(ok)), "{ok:?}");
        }
        for bad in [
            "",
            "application",
            "application/",
            "text/plain",
            "application/jsonx",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json; charset=latin1",
            "application/json; charset",
            "application/json; charset = utf-8",
            "application/json; charset=\"utf-8",
            "application/json, text/plain",
            "application/graphql-response+json",
        ] {
            assert!(!is_json_body(Some(bad)), "{bad:?}");
        }
        assert!(!is_json_body(None));
    }

    #[test]
    fn quoted_values_unescape() {
        let media = parse(r#"text/plain; title="a \"b\"; c""#).unwrap();
        assert_eq!(media.parameter("title"), Some(r#"a "b"; c"#));
    }

    #[test]
    fn accept_negotiation() {
        use ResponseMedia::{GraphqlResponseJson as G, Json as J};
        let cases: &[(Option<&str>, Option<ResponseMedia>)] = &[
            (None, Some(J)),
            (Some(""), Some(J)),
            (Some("*/*"), Some(J)),
            (Some("application/*"), Some(J)),
            (Some("application/json"), Some(J)),
            (Some("application/graphql-response+json"), Some(G)),
            (Some("Application/GraphQL-Response+JSON"), Some(G)),
            (
                Some("application/graphql-response+json; charset=utf-8"),
                Some(G),
            ),
            (
                Some("application/graphql-response+json, application/json;q=0.9"),
                Some(G),
            ),
            (
                Some("application/json, application/graphql-response+json"),
                Some(J),
            ),
            (
                Some("application/graphql-response+json;q=0.5, application/json"),
                Some(J),
            ),
            (
                Some("application/json;q=0.8 , application/graphql-response+json ; q=0.9"),
                Some(G),
            ),
            (
                Some("application/graphql-response+json;q=1.000, application/json;q=1"),
                Some(G),
            ),
            (Some("application/json;q=0, */*"), Some(G)),
            (
                Some("*/*;q=0.1, application/graphql-response+json"),
                Some(G),
            ),
            (Some("text/html,application/xhtml+xml,*/*;q=0.8"), Some(J)),
            (Some("text/html"), None),
            (
                Some("application/json;q=0, application/graphql-response+json;q=0"),
                None,
            ),
            (Some("*/*;q=0"), None),
            // Malformed elements are skipped.
            (
                Some("application/json;q=2, application/graphql-response+json"),
                Some(G),
            ),
            (Some("garbage, application/graphql-response+json"), Some(G)),
            (Some("garbage"), Some(J)),
            (
                Some(r#"text/html;x="a,b", application/graphql-response+json"#),
                Some(G),
            ),
        ];
        for (accept, expected) in cases {
            assert_eq!(negotiate(*accept), *expected, "{accept:?}");
        }
    }
}
