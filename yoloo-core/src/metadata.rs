//! What an exported model says about itself: the `metadata_props` that
//! Ultralytics writes into its ONNX files (`names`, `stride`, `imgsz`,
//! `task`, `args`, …).
//!
//! Ultralytics writes Python reprs: `names` is a dict literal such as
//! `{0: 'person', 1: 'bicycle'}` and `imgsz` a list such as `[640, 640]`.
//! They are parsed as Python *literals* ([`py_literal`], the subset of
//! Python that `ast.literal_eval` accepts): nothing is evaluated, and a
//! value that is not the literal expected is an [`Error::Metadata`] naming
//! the key and what was expected.
//!
//! ```
//! use yoloo_core::metadata::{ModelMetadata, parse_names};
//! assert_eq!(parse_names("{0: 'person', 1: \"dog's\"}").unwrap(), ["person", "dog's"]);
//! let meta = ModelMetadata::from_props([
//!     ("names", "{0: 'Normal', 1: 'Fall'}"),
//!     ("imgsz", "[480, 640]"),
//!     ("task", "detect"),
//!     ("args", "{'batch': 1, 'nms': False}"),
//! ])
//! .unwrap();
//! assert_eq!(meta.imgsz, Some((640, 480))); // (width, height)
//! assert_eq!(meta.nms, Some(false));
//! assert!(parse_names("__import__('os')").is_err());
//! ```

use py_literal::Value;

use crate::{Error, Result};

/// Deepest bracket nesting accepted in a literal. Real metadata nests at
/// most two levels; `py_literal`'s parser backtracks at every bracket (a
/// `{` may open a dict or a set), so its time grows exponentially with the
/// depth — eleven nested braces took over 10 s (found by fuzzing,
/// `fuzz/fuzz_targets/model_metadata.rs`).
const MAX_DEPTH: usize = 4;
/// Most class ids a `names` literal may give (a hostile id must not make
/// the parser allocate gigabytes of generic names).
const MAX_CLASSES: u64 = 100_000;
/// Longest metadata value parsed, in bytes.
const MAX_LEN: usize = 1 << 20;

/// The model description Ultralytics (YOLOv5 since 7.0, YOLOv8, YOLO11, …)
/// writes into an export; every field is `None` when its key is absent.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ModelMetadata {
    /// Class names by id (`names`).
    pub names: Option<Vec<String>>,
    /// The largest stride of the network (`stride`), e.g. 32.
    pub stride: Option<u32>,
    /// The training / export input size as `(width, height)` (`imgsz`,
    /// which Ultralytics writes as `[height, width]`).
    pub imgsz: Option<(u32, u32)>,
    /// `detect`, `segment`, `pose`, `obb` or `classify` (`task`).
    pub task: Option<String>,
    /// Whether NMS is inside the graph (`args` → `nms`).
    pub nms: Option<bool>,
    /// Whether the model is end-to-end, NMS-free (`end2end`, YOLOv10 / YOLO26).
    pub end2end: Option<bool>,
    /// `description`.
    pub description: Option<String>,
    /// `author`.
    pub author: Option<String>,
    /// The Ultralytics version that exported it (`version`).
    pub version: Option<String>,
    /// `license`.
    pub license: Option<String>,
}

impl ModelMetadata {
    /// Reads the keys it knows from `(key, value)` pairs; other keys are ignored.
    ///
    /// # Errors
    ///
    /// [`Error::Metadata`] when a known key's value is not what Ultralytics
    /// writes (the message names the key and the expected form).
    pub fn from_props<'a>(props: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        let mut meta = Self::default();
        for (key, value) in props {
            match key {
                "names" => meta.names = Some(parse_names(value)?),
                "stride" => meta.stride = Some(parse_stride(value)?),
                "imgsz" => meta.imgsz = Some(parse_imgsz(value)?),
                "task" => meta.task = Some(value.trim().to_owned()),
                "end2end" => meta.end2end = Some(parse_bool(key, value)?),
                "args" => meta.nms = parse_args_nms(value)?,
                "description" => meta.description = Some(value.to_owned()),
                "author" => meta.author = Some(value.to_owned()),
                "version" => meta.version = Some(value.to_owned()),
                "license" => meta.license = Some(value.to_owned()),
                _ => {}
            }
        }
        Ok(meta)
    }

    /// `true` when the metadata looks like an Ultralytics export (it names
    /// its classes or its task, or says it is by Ultralytics).
    pub fn is_ultralytics(&self) -> bool {
        self.names.is_some()
            || self.task.is_some()
            || self
                .author
                .as_deref()
                .is_some_and(|a| a.contains("Ultralytics"))
    }
}

fn bad(key: &str, expected: &str, found: impl std::fmt::Display) -> Error {
    Error::Metadata {
        key: key.to_owned(),
        message: format!("expected {expected}, found {found}"),
    }
}

/// Shortens a value for an error message.
fn excerpt(value: &str) -> String {
    let mut s: String = value.chars().take(60).collect();
    if s.len() < value.len() {
        s.push('…');
    }
    format!("{s:?}")
}

/// Parses a Python literal, refusing what is too long or nested too deep
/// to parse safely.
fn literal(key: &str, expected: &str, value: &str) -> Result<Value> {
    if value.len() > MAX_LEN {
        return Err(bad(
            key,
            expected,
            format_args!("{} bytes of text", value.len()),
        ));
    }
    // Brackets outside string literals only ('…' or "…", with escapes).
    let (mut depth, mut quote, mut escaped) = (0usize, None, false);
    for c in value.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '[' | '(' | '{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(bad(
                        key,
                        expected,
                        format_args!("brackets nested over {MAX_DEPTH} deep"),
                    ));
                }
            }
            ']' | ')' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    value
        .trim()
        .parse::<Value>()
        .map_err(|e| bad(key, expected, format_args!("{} ({e})", excerpt(value))))
}

fn small_int(v: &Value) -> Option<u64> {
    match v {
        Value::Integer(i) => u64::try_from(i).ok(),
        _ => None,
    }
}

/// Parses Ultralytics' `names`: a dict literal of class ids to names
/// (`{0: 'person', 1: 'bicycle'}`), or a list of names (`['person', …]`,
/// as YOLOv5 writes). Ids may come in any order; an id with no name gets
/// `class_{id}`.
///
/// # Errors
///
/// [`Error::Metadata`] when the text is not such a literal, a key is not
/// a non-negative integer below 100 000, or a name is not a string.
pub fn parse_names(text: &str) -> Result<Vec<String>> {
    const WHAT: &str =
        "a Python dict literal of class ids to names, like {0: 'person', 1: 'bicycle'}";
    let entries: Vec<(u64, String)> = match literal("names", WHAT, text)? {
        Value::Dict(pairs) => pairs
            .into_iter()
            .map(|(k, v)| {
                let id = small_int(&k)
                    .filter(|&id| id < MAX_CLASSES)
                    .ok_or_else(|| {
                        bad(
                            "names",
                            "a dict literal whose keys are class ids 0, 1, 2, … below 100000",
                            &k,
                        )
                    })?;
                match v {
                    Value::String(name) => Ok((id, name)),
                    other => Err(bad(
                        "names",
                        "a dict literal whose values are class names (strings)",
                        other,
                    )),
                }
            })
            .collect::<Result<_>>()?,
        Value::List(items) | Value::Tuple(items) if items.len() as u64 <= MAX_CLASSES => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(name) => Ok((i as u64, name)),
                other => Err(bad(
                    "names",
                    "a list literal of class names (strings)",
                    other,
                )),
            })
            .collect::<Result<_>>()?,
        other => return Err(bad("names", WHAT, excerpt(&other.to_string()))),
    };
    let Some(n) = entries.iter().map(|(id, _)| id + 1).max() else {
        return Err(bad("names", WHAT, "an empty literal"));
    };
    let mut names: Vec<Option<String>> = vec![None; n as usize];
    for (id, name) in entries {
        names[id as usize] = Some(name);
    }
    Ok(names
        .into_iter()
        .enumerate()
        .map(|(i, n)| n.unwrap_or_else(|| format!("class_{i}")))
        .collect())
}

fn parse_stride(value: &str) -> Result<u32> {
    const WHAT: &str = "the largest stride as an integer, like 32";
    let v = literal("stride", WHAT, value)?;
    // Some exporters write every stride: take the largest.
    let ints: Vec<u64> = match &v {
        Value::List(items) | Value::Tuple(items) => items.iter().filter_map(small_int).collect(),
        other => small_int(other).into_iter().collect(),
    };
    ints.into_iter()
        .max()
        .and_then(|s| u32::try_from(s).ok())
        .filter(|s| (1..=1024).contains(s))
        .ok_or_else(|| bad("stride", WHAT, excerpt(value)))
}

fn parse_imgsz(value: &str) -> Result<(u32, u32)> {
    const WHAT: &str = "the input size as [height, width] (or one integer), each 1..=8192";
    let size = |v: &Value| {
        small_int(v)
            .and_then(|s| u32::try_from(s).ok())
            .filter(|s| (1..=8192).contains(s))
    };
    let v = literal("imgsz", WHAT, value)?;
    let hw = match &v {
        Value::List(items) | Value::Tuple(items) => match items.as_slice() {
            [h, w] => size(h).zip(size(w)),
            [s] => size(s).map(|s| (s, s)),
            _ => None,
        },
        other => size(other).map(|s| (s, s)),
    };
    hw.map(|(h, w)| (w, h))
        .ok_or_else(|| bad("imgsz", WHAT, excerpt(value)))
}

fn parse_bool(key: &str, value: &str) -> Result<bool> {
    match value.trim() {
        "True" | "true" | "1" => Ok(true),
        "False" | "false" | "0" => Ok(false),
        _ => Err(bad(key, "True or False", excerpt(value))),
    }
}

/// `args` is the export arguments' dict; only its `nms` matters here.
fn parse_args_nms(value: &str) -> Result<Option<bool>> {
    const WHAT: &str = "a Python dict literal of export arguments, like {'nms': False}";
    match literal("args", WHAT, value)? {
        Value::Dict(pairs) => Ok(pairs.into_iter().find_map(|(k, v)| match (k, v) {
            (Value::String(k), Value::Boolean(b)) if k == "nms" => Some(b),
            _ => None,
        })),
        other => Err(bad("args", WHAT, excerpt(&other.to_string()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Inputs the fuzzer found taking over 10 s each: refused at once now.
    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        for text in [
            "{{{{{{{{{{{0}{0}",
            "{0: {0: 'a', 1:{{{{{{{{{\t\x1f\x1f\x1f/",
            "[[[[[0]]]]]",
            "((((('a',),),),),)",
        ] {
            let e = parse_names(text).expect_err(text).to_string();
            assert!(e.contains("nested over 4 deep"), "{text}: {e}");
        }
        // As deep as allowed still parses.
        let e = parse_names("[['a'], [[['b']]]]")
            .expect_err("not names")
            .to_string();
        assert!(e.contains("class names (strings)"), "{e}");
        assert!(literal("args", "a dict", "{'a': [[[1]]]}").is_ok());
        // Brackets inside names are text, not nesting.
        assert_eq!(
            parse_names(r#"{0: '[[[[[x', 1: "{{{{{\"(((((", 2: 'a\'((((('}"#).expect("names"),
            ["[[[[[x", "{{{{{\"(((((", "a'((((("]
        );
    }

    #[test]
    fn names_as_ultralytics_writes_them() {
        let coco = "{0: 'person', 1: 'bicycle', 2: 'car', 9: 'traffic light', 79: 'toothbrush'}";
        let names = parse_names(coco).unwrap();
        assert_eq!(names.len(), 80);
        assert_eq!(
            (names[0].as_str(), names[9].as_str(), names[79].as_str()),
            ("person", "traffic light", "toothbrush")
        );
        assert_eq!(names[3], "class_3");
        // Escapes, unicode, double quotes, out-of-order ids, a trailing comma.
        let names = parse_names("{1: \"it's\", 0: 'caf\\xe9 \\u00e9\\\\',}").unwrap();
        assert_eq!(names, ["café é\\", "it's"]);
        assert_eq!(parse_names("['a', 'b']").unwrap(), ["a", "b"]);
    }

    #[test]
    fn not_a_dict_literal_is_a_typed_error_naming_the_key() {
        for bad in [
            "",
            "person, car",
            "{0: person}",
            "{'a': 'b'}",
            "{-1: 'x'}",
            "{0: 1}",
            "{100000: 'x'}",
            "{}",
            "__import__('os').system('true')",
            "{0: 'a'} + {1: 'b'}",
            "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        ] {
            let err = parse_names(bad).unwrap_err();
            assert!(
                matches!(&err, Error::Metadata { key, .. } if key == "names"),
                "{bad:?}: {err}"
            );
            assert!(err.to_string().contains("expected"), "{err}");
        }
    }

    #[test]
    fn other_keys() {
        let m = ModelMetadata::from_props([
            ("stride", "32"),
            ("imgsz", "[640, 640]"),
            ("task", "detect"),
            ("author", "Ultralytics"),
            ("args", "{'batch': 1, 'half': False, 'dynamic': False, 'simplify': True, 'opset': None, 'nms': True}"),
            ("end2end", "True"),
            ("unrelated", "{{{"),
        ])
        .unwrap();
        assert_eq!(m.stride, Some(32));
        assert_eq!(m.imgsz, Some((640, 640)));
        assert_eq!((m.nms, m.end2end), (Some(true), Some(true)));
        assert!(m.is_ultralytics());
        assert!(!ModelMetadata::default().is_ultralytics());
        assert_eq!(parse_imgsz("320").unwrap(), (320, 320));
        assert_eq!(parse_stride("[8, 16, 32]").unwrap(), 32);
        for (k, v) in [
            ("imgsz", "[0, 640]"),
            ("imgsz", "[1, 2, 3]"),
            ("stride", "x"),
            ("args", "[1]"),
            ("end2end", "maybe"),
        ] {
            let e = ModelMetadata::from_props([(k, v)]).unwrap_err();
            assert!(matches!(&e, Error::Metadata { key, .. } if key == k), "{e}");
        }
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,200}") {
            let _ = parse_names(&text);
            let _ = ModelMetadata::from_props([("names", text.as_str()), ("imgsz", text.as_str()), ("args", text.as_str())]);
        }

        #[test]
        fn literal_like_text_never_panics(
            parts in proptest::collection::vec(prop_oneof![
                Just("{".to_string()), Just("}".to_string()), Just("[".to_string()), Just("]".to_string()),
                Just(":".to_string()), Just(",".to_string()), Just("'".to_string()), Just("\\".to_string()),
                "-?[0-9]{1,12}", "'[a-z \\\\]{0,6}'", Just("None".to_string()), Just("True".to_string()),
            ], 0..40)
        ) {
            let text = parts.concat();
            if let Ok(names) = parse_names(&text) {
                prop_assert!(!names.is_empty() && names.len() <= 100_000);
            }
        }

        #[test]
        fn round_trips_any_names(names in proptest::collection::vec(any::<String>(), 1..20)) {
            let literal = Value::Dict(
                names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (Value::Integer(i.into()), Value::String(n.clone())))
                    .collect(),
            );
            let text = literal.to_string();
            prop_assert_eq!(parse_names(&text).unwrap(), names);
        }
    }
}
