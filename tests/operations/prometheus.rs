//! A strict little parser of the Prometheus text exposition format (version 0.0.4): enough
//! to prove `/metrics` is well-formed and to read its figures.

use std::collections::{BTreeMap, HashMap};

/// One sample line: `name{label="value",...} value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// A parsed exposition: its samples and the declared type of each family.
#[derive(Debug, Default)]
pub struct Exposition {
    pub samples: Vec<Sample>,
    pub types: HashMap<String, String>,
}

impl Exposition {
    /// The value of the sample named `name` whose labels include `labels`, if exactly one.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let hits: Vec<&Sample> = self
            .samples
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .collect();
        match hits.as_slice() {
            [one] => Some(one.value),
            _ => None,
        }
    }
}

/// Parses `text`, checking every line and that each sample's family declared its type first.
pub fn parse(text: &str) -> Result<Exposition, String> {
    let mut exposition = Exposition::default();
    for (n, line) in text.lines().enumerate() {
        let fail = |why: &str| format!("line {}: {why}: {line:?}", n + 1);
        if line.trim().is_empty() || line.starts_with("# HELP ") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').ok_or_else(|| fail("bad TYPE"))?;
            if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                return Err(fail("unknown type"));
            }
            exposition.types.insert(name.to_string(), kind.to_string());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let sample = parse_sample(line).map_err(|why| fail(&why))?;
        if !exposition
            .types
            .contains_key(family(&sample.name, &exposition.types))
        {
            return Err(fail("sample before its TYPE line"));
        }
        exposition.samples.push(sample);
    }
    Ok(exposition)
}

/// `x_bucket`, `x_sum` and `x_count` belong to the histogram `x`.
fn family<'a>(name: &'a str, types: &HashMap<String, String>) -> &'a str {
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = name.strip_suffix(suffix)
            && types
                .get(base)
                .is_some_and(|t| t == "histogram" || t == "summary")
        {
            return base;
        }
    }
    name
}

fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .ok_or("no value")?;
    let name = &line[..name_end];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err("bad metric name".into());
    }
    let mut rest = &line[name_end..];
    let mut labels = BTreeMap::new();
    if let Some(inner) = rest.strip_prefix('{') {
        let (parsed, after) = parse_labels(inner)?;
        labels = parsed;
        rest = after;
    }
    let value = rest.strip_prefix(' ').ok_or("no space before the value")?;
    let value = value.split(' ').next().unwrap_or_default();
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().map_err(|_| format!("bad value {v:?}"))?,
    };
    Ok(Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

/// Parses `k="v",...}` and returns the labels and what follows the closing brace.
fn parse_labels(mut s: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    let mut labels = BTreeMap::new();
    loop {
        if let Some(after) = s.strip_prefix('}') {
            return Ok((labels, after));
        }
        let (key, after) = s.split_once("=\"").ok_or("bad label")?;
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("bad label name {key:?}"));
        }
        let (value, after) = quoted(after)?;
        labels.insert(key.to_string(), value);
        s = after.strip_prefix(',').unwrap_or(after);
    }
}

/// Reads an escaped label value up to its closing quote.
fn quoted(s: &str) -> Result<(String, &str), String> {
    let mut value = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &s[i + 1..])),
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, e @ ('\\' | '"'))) => value.push(e),
                _ => return Err("bad escape".into()),
            },
            c => value.push(c),
        }
    }
    Err("unterminated label value".into())
}

#[test]
fn the_parser_reads_labels_escapes_and_histograms() {
    let text = "# TYPE a_total counter\na_total{route=\"/x/{id}\",why=\"q\\\"\"} 3\n\
                # TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.5\nh_count 2\n";
    let parsed = parse(text).unwrap();
    assert_eq!(parsed.value("a_total", &[("why", "q\"")]), Some(3.0));
    assert_eq!(parsed.value("h_count", &[]), Some(2.0));
    assert!(parse("undeclared 1\n").is_err());
    assert!(parse("# TYPE x counter\nx{a=\"1\" 1\n").is_err());
}
