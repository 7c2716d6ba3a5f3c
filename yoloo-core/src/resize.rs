//! Bilinear resizing of 8-bit interleaved images, bit-exact with OpenCV's
//! `cv::resize(…, INTER_LINEAR)` (as `cv2.dnn.blobFromImage` uses it).
//!
//! Why not a general-purpose resizer: YOLO scores are sensitive to one-level
//! rounding differences. A SIMD resizer with its own rounding moved a
//! yolov3-tiny confidence on `zidane.jpg` by 0.03 against OpenCV, a float
//! bilinear by up to 0.018. This module reproduces OpenCV's arithmetic:
//!
//! * source coordinate `f = (float)((d + 0.5) · (src/dst) − 0.5)`, computed in
//!   `f64` then rounded to `f32`;
//! * columns: `f` is clamped into the image (weight 0 past the edges);
//!   rows: the row index is clamped but the weight is not;
//! * weights `round_ties_even((1 − frac) · 2048)` and `round_ties_even(frac · 2048)`;
//! * horizontal pass in `i32`: `a0·S[x] + a1·S[x+1]`;
//! * vertical pass as OpenCV's vector kernel does it:
//!   `((h0 >> 4)·b0 >> 16) + ((h1 >> 4)·b1 >> 16)`, then `(sum + 2) >> 2`, saturated.
//!
//! OpenCV applies that vector kernel to whole vectors of a row and a scalar
//! `(b0·h0 + b1·h1 + 2²¹) >> 22` to a remainder of fewer than 16–32 bytes;
//! rows of `width × channels` bytes that are a multiple of 32 — every
//! stretch to a network size, which is a multiple of 32 — have no remainder,
//! so the output is bit-exact. (A letterboxed content width may leave one,
//! where a byte can differ by one level.)

const COEF_BITS: u32 = 11;
const COEF_SCALE: f32 = (1 << COEF_BITS) as f32;

/// Reusable buffers for [`resize_bilinear`].
#[derive(Debug, Default, Clone)]
pub struct ResizeScratch {
    xofs: Vec<usize>,
    xalpha: Vec<(i32, i32)>,
    rows: [Vec<i32>; 2],
    /// Source row held by each of `rows` (`usize::MAX` = none).
    row_src: [usize; 2],
}

impl ResizeScratch {
    /// Bytes held.
    pub fn capacity_bytes(&self) -> usize {
        self.xofs.capacity() * 8
            + self.xalpha.capacity() * 8
            + (self.rows[0].capacity() + self.rows[1].capacity()) * 4
    }
}

/// `(first source index, weight of it, weight of the next)` per destination index.
fn coefficients(src: usize, dst: usize, clamp: bool) -> impl Iterator<Item = (isize, i32, i32)> {
    let scale = 1.0 / (dst as f64 / src as f64);
    (0..dst).map(move |d| {
        let mut f = ((d as f64 + 0.5) * scale - 0.5) as f32;
        let mut s = f.floor() as isize;
        f -= s as f32;
        if clamp {
            if s < 0 {
                f = 0.0;
                s = 0;
            }
            if s >= src as isize - 1 {
                f = 0.0;
                s = src as isize - 1;
            }
        }
        let a0 = ((1.0 - f) * COEF_SCALE).round_ties_even() as i32;
        let a1 = (f * COEF_SCALE).round_ties_even() as i32;
        (s, a0, a1)
    })
}

/// Resizes `src` (`sw × sh` pixels of `cn` interleaved 8-bit channels) into
/// `dst` (`dw × dh`, same layout).
///
/// Returns `false` (and leaves `dst` alone) when a size is zero or a buffer
/// is shorter than its size says.
///
/// ```
/// use yoloo_core::resize::{resize_bilinear, ResizeScratch};
/// // 2×1 grey → 4×1: OpenCV gives [0, 64, 191, 255] for [0, 255]
/// let mut out = [0u8; 4];
/// assert!(resize_bilinear(&[0, 255], 2, 1, 1, &mut out, 4, 1, &mut ResizeScratch::default()));
/// assert_eq!(out, [0, 64, 191, 255]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn resize_bilinear(
    src: &[u8],
    sw: usize,
    sh: usize,
    cn: usize,
    dst: &mut [u8],
    dw: usize,
    dh: usize,
    scratch: &mut ResizeScratch,
) -> bool {
    let row_len = match dw.checked_mul(cn) {
        Some(l) if l > 0 => l,
        _ => return false,
    };
    if sw == 0 || sh == 0 || dh == 0 || src.len() / cn / sw < sh || dst.len() / row_len < dh {
        return false;
    }
    scratch.xofs.clear();
    scratch.xalpha.clear();
    for (s, a0, a1) in coefficients(sw, dw, true) {
        scratch.xofs.push(s as usize * cn);
        scratch.xalpha.push((a0, a1));
    }
    for r in &mut scratch.rows {
        r.clear();
        r.resize(row_len, 0);
    }
    scratch.row_src = [usize::MAX; 2];
    let src_row_len = sw * cn;
    let last_col = (sw - 1) * cn;

    for ((sy, b0, b1), dst_row) in coefficients(sh, dh, false).zip(dst.chunks_exact_mut(row_len)) {
        let r0 = sy.clamp(0, sh as isize - 1) as usize;
        let r1 = (sy + 1).clamp(0, sh as isize - 1) as usize;
        // Horizontal rows for r0 (slot 0) and r1 (slot 1), reusing what the
        // previous output row computed.
        if scratch.row_src[0] != r0 {
            if scratch.row_src[1] == r0 {
                scratch.rows.swap(0, 1);
                scratch.row_src.swap(0, 1);
            } else {
                let s = &src[r0 * src_row_len..(r0 + 1) * src_row_len];
                horizontal(
                    s,
                    &scratch.xofs,
                    &scratch.xalpha,
                    cn,
                    last_col,
                    &mut scratch.rows[0],
                );
                scratch.row_src[0] = r0;
            }
        }
        if scratch.row_src[1] != r1 {
            let [h0, h1] = &mut scratch.rows;
            if r1 == r0 {
                h1.copy_from_slice(h0);
            } else {
                let s = &src[r1 * src_row_len..(r1 + 1) * src_row_len];
                horizontal(s, &scratch.xofs, &scratch.xalpha, cn, last_col, h1);
            }
            scratch.row_src[1] = r1;
        }
        let (h0, h1) = (&scratch.rows[0], &scratch.rows[1]);
        for ((d, &v0), &v1) in dst_row.iter_mut().zip(h0.iter()).zip(h1.iter()) {
            let t0 = ((v0 >> 4) * b0) >> 16;
            let t1 = ((v1 >> 4) * b1) >> 16;
            *d = ((t0 + t1 + 2) >> 2).clamp(0, 255) as u8;
        }
    }
    true
}

/// One source row through the horizontal pass.
fn horizontal(
    s: &[u8],
    xofs: &[usize],
    xalpha: &[(i32, i32)],
    cn: usize,
    last_col: usize,
    row: &mut [i32],
) {
    // A channel count known at compile time lets the inner loop unroll
    // (≈2× faster for RGB).
    match cn {
        1 => horizontal_cn::<1>(s, xofs, xalpha, last_col, row),
        2 => horizontal_cn::<2>(s, xofs, xalpha, last_col, row),
        3 => horizontal_cn::<3>(s, xofs, xalpha, last_col, row),
        4 => horizontal_cn::<4>(s, xofs, xalpha, last_col, row),
        _ => {
            for ((&x, &(a0, a1)), out) in xofs.iter().zip(xalpha).zip(row.chunks_exact_mut(cn)) {
                let x1 = (x + cn).min(last_col);
                for (c, o) in out.iter_mut().enumerate() {
                    *o = i32::from(s[x + c]) * a0 + i32::from(s[x1 + c]) * a1;
                }
            }
        }
    }
}

fn horizontal_cn<const CN: usize>(
    s: &[u8],
    xofs: &[usize],
    xalpha: &[(i32, i32)],
    last_col: usize,
    row: &mut [i32],
) {
    for ((&x, &(a0, a1)), out) in xofs.iter().zip(xalpha).zip(row.chunks_exact_mut(CN)) {
        let x1 = (x + CN).min(last_col);
        // Fixed-size views: no bounds check per channel. The offsets come from
        // `coefficients`, always inside the row, so the `else` never runs.
        let (Ok(p0), Ok(p1)) = (
            <&[u8; CN]>::try_from(&s[x..x + CN]),
            <&[u8; CN]>::try_from(&s[x1..x1 + CN]),
        ) else {
            continue;
        };
        for c in 0..CN {
            out[c] = i32::from(p0[c]) * a0 + i32::from(p1[c]) * a1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_size_copies() {
        let src: Vec<u8> = (0..5 * 3 * 3).map(|i| (i * 17 % 256) as u8).collect();
        let mut out = vec![0u8; src.len()];
        assert!(resize_bilinear(
            &src,
            5,
            3,
            3,
            &mut out,
            5,
            3,
            &mut ResizeScratch::default()
        ));
        assert_eq!(out, src);
    }

    #[test]
    fn exact_halving_averages_2x2() {
        let src = [10u8, 20, 30, 41, 50, 60, 70, 80];
        let mut out = [0u8; 2];
        // 4×2 → 2×1: (10+20+50+60+2)/4 = 35, (30+41+70+80+2)/4 = 55
        assert!(resize_bilinear(
            &src,
            4,
            2,
            1,
            &mut out,
            2,
            1,
            &mut ResizeScratch::default()
        ));
        assert_eq!(out, [35, 55]);
    }

    #[test]
    fn bad_sizes_are_refused() {
        let mut s = ResizeScratch::default();
        assert!(!resize_bilinear(&[], 0, 0, 3, &mut [0; 3], 1, 1, &mut s));
        assert!(!resize_bilinear(
            &[1, 2, 3],
            2,
            1,
            3,
            &mut [0; 3],
            1,
            1,
            &mut s
        ));
        assert!(!resize_bilinear(
            &[1, 2, 3],
            1,
            1,
            3,
            &mut [0; 2],
            1,
            1,
            &mut s
        ));
        assert!(!resize_bilinear(
            &[1, 2, 3],
            1,
            1,
            3,
            &mut [0; 3],
            0,
            1,
            &mut s
        ));
    }
}
