//! Class names, one per line, as in Darknet's `coco.names`.

use std::path::Path;

use crate::{Error, Result};

/// The class names of a model, indexed by class id.
///
/// ```
/// use yoloo_core::Labels;
/// let labels = Labels::parse("person\nbicycle\n\ncar\n");
/// assert_eq!(labels.len(), 3);
/// assert_eq!(labels.name(2), "car");
/// assert_eq!(labels.name(7), "class_7"); // unknown ids still get a readable name
/// assert_eq!(labels.id("bicycle"), Some(1));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels {
    names: Vec<String>,
}

impl Labels {
    /// Parses a names file: one name per line, surrounding white space trimmed,
    /// empty lines skipped.
    pub fn parse(text: &str) -> Self {
        let names = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        Self { names }
    }

    /// Reads and parses a names file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::Labels(format!("{} is not UTF-8 text", path.display())))?;
        let labels = Self::parse(&text);
        if labels.is_empty() {
            return Err(Error::Labels(format!(
                "{} holds no class names",
                path.display()
            )));
        }
        Ok(labels)
    }

    /// Labels from a list of names.
    pub fn from_names<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Self {
        Self {
            names: names.into_iter().map(Into::into).collect(),
        }
    }

    /// Generic names `class_0` … `class_{n-1}`, for a model without names.
    pub fn generic(n: usize) -> Self {
        Self {
            names: (0..n).map(|i| format!("class_{i}")).collect(),
        }
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// `true` when there are no names.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The name of a class id, or `class_{id}` when the id has no name.
    pub fn name(&self, id: usize) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("class_{id}"))
    }

    /// The id of a name (exact match, then ASCII case-insensitive).
    pub fn id(&self, name: &str) -> Option<usize> {
        let name = name.trim();
        self.names
            .iter()
            .position(|n| n == name)
            .or_else(|| self.names.iter().position(|n| n.eq_ignore_ascii_case(name)))
    }

    /// Resolves a list of class names to ids; the error names the first unknown one.
    ///
    /// ```
    /// use yoloo_core::Labels;
    /// let labels = Labels::from_names(["person", "car"]);
    /// assert_eq!(labels.ids(["car", "person"]).unwrap(), vec![1, 0]);
    /// assert!(labels.ids(["unicorn"]).is_err());
    /// ```
    pub fn ids<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Result<Vec<usize>> {
        names
            .into_iter()
            .map(|n| {
                self.id(n)
                    .ok_or_else(|| Error::InvalidParameter(format!("unknown class name {n:?}")))
            })
            .collect()
    }

    /// All names, in id order.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}
