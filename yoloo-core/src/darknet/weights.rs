//! Darknet `.weights` files: header, then per convolution its biases,
//! batch-norm parameters (when `batch_normalize=1`) and kernel, as
//! little-endian f32, in layer order.

use super::cfg::{Cfg, Layer};
use crate::{Error, Result};

/// The header of a weights file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Format major version.
    pub major: i32,
    /// Format minor version.
    pub minor: i32,
    /// Format revision.
    pub revision: i32,
    /// Images seen in training (i64 from version 0.2 on, i32 before).
    pub seen: i64,
}

impl Header {
    /// Header size in bytes for this version.
    pub fn len(&self) -> usize {
        if wide_seen(self.major, self.minor) {
            20
        } else {
            16
        }
    }

    /// A header is never empty; present for API symmetry with [`Header::len`].
    pub fn is_empty(&self) -> bool {
        false
    }
}

fn wide_seen(major: i32, minor: i32) -> bool {
    // Darknet: `(major*10 + minor) >= 2 && major < 1000 && minor < 1000`
    let (major, minor) = (i64::from(major), i64::from(minor));
    major * 10 + minor >= 2 && major < 1000 && minor < 1000
}

/// One convolution's parameters with batch-norm folded in:
/// `w' = w·γ/(√σ² + 1e-6)`, `b' = β − μ·γ/(√σ² + 1e-6)` — Darknet's own formula.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvParams {
    /// Kernel, `[filters, in_channels / groups, size, size]` row-major.
    pub weights: Vec<f32>,
    /// Bias per filter.
    pub bias: Vec<f32>,
}

/// All parameters of a network, one entry per `[convolutional]` in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// File header.
    pub header: Header,
    /// Folded convolution parameters.
    pub convs: Vec<ConvParams>,
}

/// The shape of one convolution's parameters in a weights file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvShape {
    /// Output channels.
    pub filters: usize,
    /// Input channels.
    pub in_channels: usize,
    /// Channel groups: each filter sees `in_channels / groups` of them.
    pub groups: usize,
    /// Kernel size (square).
    pub size: usize,
    /// Whether biases are followed by batch-norm scales, means and variances.
    pub batch_normalize: bool,
}

impl ConvShape {
    /// f32 values this convolution takes in the file (saturating: a hostile
    /// cfg must give a size error, not an overflow).
    pub fn floats(&self) -> usize {
        let kernel = self
            .filters
            .saturating_mul(self.in_channels / self.groups.max(1))
            .saturating_mul(self.size)
            .saturating_mul(self.size);
        self.filters
            .saturating_mul(if self.batch_normalize { 4 } else { 1 })
            .saturating_add(kernel)
    }
}

/// Every convolution of `cfg`, in file order, with its input channels.
pub fn conv_shapes(cfg: &Cfg) -> Result<Vec<ConvShape>> {
    let shapes = cfg.shapes(cfg.width, cfg.height)?;
    let mut specs = Vec::new();
    for (i, def) in cfg.layers.iter().enumerate() {
        if let Layer::Convolutional {
            filters,
            groups,
            size,
            batch_normalize,
            ..
        } = def.layer
        {
            let in_channels = if i == 0 {
                cfg.channels
            } else {
                shapes[i - 1].0
            };
            specs.push(ConvShape {
                filters,
                in_channels,
                groups,
                size,
                batch_normalize,
            });
        }
    }
    Ok(specs)
}

/// Number of f32 values (after the header) a weights file for `cfg` holds.
pub fn expected_floats(cfg: &Cfg) -> Result<usize> {
    Ok(conv_shapes(cfg)?
        .iter()
        .map(ConvShape::floats)
        .fold(0, usize::saturating_add))
}

/// Parses the header only.
pub fn read_header(bytes: &[u8]) -> Result<Header> {
    let i32_at = |o: usize| -> Option<i32> {
        bytes
            .get(o..o + 4)
            .and_then(|b| b.try_into().ok())
            .map(i32::from_le_bytes)
    };
    let short = || Error::Weights {
        message: format!("the file has {} bytes, too short for a header", bytes.len()),
    };
    let (major, minor, revision) = (
        i32_at(0).ok_or_else(short)?,
        i32_at(4).ok_or_else(short)?,
        i32_at(8).ok_or_else(short)?,
    );
    let seen = if wide_seen(major, minor) {
        bytes
            .get(12..20)
            .and_then(|b| b.try_into().ok())
            .map(i64::from_le_bytes)
            .ok_or_else(short)?
    } else {
        i64::from(i32_at(12).ok_or_else(short)?)
    };
    Ok(Header {
        major,
        minor,
        revision,
        seen,
    })
}

/// Parses a weights file for `cfg`, folding batch-norm into the kernels.
///
/// The file must hold exactly what the cfg needs: a short or long file is an
/// error naming the expected and actual sizes (a mismatch means the cfg and
/// weights are not a pair).
pub fn parse(cfg: &Cfg, bytes: &[u8]) -> Result<Weights> {
    let header = read_header(bytes)?;
    let specs = conv_shapes(cfg)?;
    let floats: usize = specs
        .iter()
        .map(ConvShape::floats)
        .fold(0, usize::saturating_add);
    let expected = floats.saturating_mul(4).saturating_add(header.len());
    if bytes.len() != expected {
        return Err(Error::Weights {
            message: format!(
                "the cfg needs {expected} bytes ({}-byte header v{}.{}.{} + {floats} f32 values), the file has {} bytes ({})",
                header.len(),
                header.major,
                header.minor,
                header.revision,
                bytes.len(),
                if bytes.len() < expected {
                    "too short"
                } else {
                    "too long"
                },
            ),
        });
    }
    let mut values = bytes[header.len()..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    let mut take = |n: usize| -> Vec<f32> { values.by_ref().take(n).collect() };

    let mut convs = Vec::with_capacity(specs.len());
    for ConvShape {
        filters: n,
        in_channels,
        groups,
        size: k,
        batch_normalize: bn,
    } in specs
    {
        let c = in_channels / groups;
        let mut bias = take(n);
        let mut weights;
        if bn {
            let scales = take(n);
            let mean = take(n);
            let var = take(n);
            weights = take(n * c * k * k);
            let per_filter = c * k * k;
            for f in 0..n {
                let factor = scales[f] / (var[f].sqrt() + 0.000001);
                for w in &mut weights[f * per_filter..(f + 1) * per_filter] {
                    *w *= factor;
                }
                bias[f] -= mean[f] * factor;
            }
        } else {
            weights = take(n * c * k * k);
        }
        convs.push(ConvParams { weights, bias });
    }
    Ok(Weights { header, convs })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cfg(bn: bool) -> Cfg {
        Cfg::parse(&format!(
            "[net]\nwidth=32\nheight=32\nchannels=3\n[convolutional]\nbatch_normalize={}\nfilters=6\nsize=1\nstride=1\npad=1\nactivation=linear\n[yolo]\nmask=0\nanchors=1,1\nclasses=1\n",
            u8::from(bn)
        ))
        .unwrap()
    }

    fn file(header: &[u8], floats: &[f32]) -> Vec<u8> {
        let mut v = header.to_vec();
        for f in floats {
            v.extend_from_slice(&f.to_le_bytes());
        }
        v
    }

    fn header_v2() -> Vec<u8> {
        let mut h = Vec::new();
        for x in [0i32, 2, 0] {
            h.extend_from_slice(&x.to_le_bytes());
        }
        h.extend_from_slice(&32_013_312i64.to_le_bytes());
        h
    }

    #[test]
    fn folds_batch_norm_with_darknet_formula() {
        let c = cfg(true);
        // biases 6, scales 6, mean 6, var 6, weights 6*3
        let mut floats = vec![0.5; 6];
        floats.extend([2.0; 6]);
        floats.extend([1.0; 6]);
        floats.extend([4.0; 6]);
        floats.extend([3.0; 18]);
        let w = parse(&c, &file(&header_v2(), &floats)).unwrap();
        let factor = 2.0 / (2.0f32 + 0.000001);
        assert_eq!(w.header.seen, 32_013_312);
        assert!((w.convs[0].weights[0] - 3.0 * factor).abs() < 1e-6);
        assert!((w.convs[0].bias[0] - (0.5 - factor)).abs() < 1e-6);
    }

    #[test]
    fn old_header_has_32_bit_seen() {
        let c = cfg(false);
        let mut h = Vec::new();
        for x in [0i32, 1, 0, 7] {
            h.extend_from_slice(&x.to_le_bytes());
        }
        let w = parse(&c, &file(&h, &[1.0; 24])).unwrap();
        assert_eq!((w.header.len(), w.header.seen), (16, 7));
    }

    #[test]
    fn size_mismatch_names_both_sizes() {
        let c = cfg(false);
        let short = parse(&c, &file(&header_v2(), &[1.0; 23]))
            .unwrap_err()
            .to_string();
        assert!(
            short.contains("116 bytes")
                && short.contains("112 bytes")
                && short.contains("too short"),
            "{short}"
        );
        let long = parse(&c, &file(&header_v2(), &[1.0; 25]))
            .unwrap_err()
            .to_string();
        assert!(
            long.contains("116 bytes") && long.contains("120 bytes") && long.contains("too long"),
            "{long}"
        );
        assert!(parse(&c, &[]).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(&cfg(true), &bytes);
            let _ = parse(&cfg(false), &bytes);
        }
    }
}
