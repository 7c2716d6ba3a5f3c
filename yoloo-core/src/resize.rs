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
    /// The planar path's column offsets and weights, as vectors of `i32`.
    xofs32: Vec<i32>,
    a0: Vec<i32>,
    a1: Vec<i32>,
    /// `a0 | a1 << 16`: both weights as a pair of `i16` for `pmaddwd`.
    a01: Vec<i32>,
}

impl ResizeScratch {
    /// Bytes held.
    pub fn capacity_bytes(&self) -> usize {
        self.xofs.capacity() * 8
            + self.xalpha.capacity() * 8
            + (self.rows[0].capacity() + self.rows[1].capacity()) * 4
            + (self.xofs32.capacity()
                + self.a0.capacity()
                + self.a1.capacity()
                + self.a01.capacity())
                * 4
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
/// This is the reference: OpenCV's arithmetic written out plainly, one
/// output row at a time from its two source rows, with no row reuse and no
/// SIMD. The fast path the preprocessor runs (`resize_bilinear_planes`,
/// straight into planar `f32`) is tested against it byte for byte, and it is
/// tested against OpenCV's own output (`tests/opencv_resize.rs`).
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
    let src_row_len = sw * cn;
    let last_col = (sw - 1) * cn;
    let clamp_row = |y: isize| y.clamp(0, sh as isize - 1) as usize;
    for ((sy, b0, b1), dst_row) in coefficients(sh, dh, false).zip(dst.chunks_exact_mut(row_len)) {
        let [h0, h1] = &mut scratch.rows;
        for (y, h) in [(clamp_row(sy), &mut *h0), (clamp_row(sy + 1), &mut *h1)] {
            let s = &src[y * src_row_len..(y + 1) * src_row_len];
            // Horizontal: a0·S[x] + a1·S[x+1], per channel.
            for ((&x, &(a0, a1)), out) in scratch
                .xofs
                .iter()
                .zip(&scratch.xalpha)
                .zip(h.chunks_exact_mut(cn))
            {
                let x1 = (x + cn).min(last_col);
                for (c, o) in out.iter_mut().enumerate() {
                    *o = i32::from(s[x + c]) * a0 + i32::from(s[x1 + c]) * a1;
                }
            }
        }
        // Vertical, as OpenCV's vector kernel does it.
        for ((d, &v0), &v1) in dst_row.iter_mut().zip(h0.iter()).zip(h1.iter()) {
            let t0 = ((v0 >> 4) * b0) >> 16;
            let t1 = ((v1 >> 4) * b1) >> 16;
            *d = ((t0 + t1 + 2) >> 2).clamp(0, 255) as u8;
        }
    }
    true
}

/// Where [`resize_bilinear_planes`] writes: three `f32` planes of `stride`
/// values per row, the resized content's top-left corner at `(x, y)`.
pub(crate) struct PlanesOut<'a> {
    pub planes: [&'a mut [f32]; 3],
    pub stride: usize,
    pub x: usize,
    pub y: usize,
}

/// The same resize as [`resize_bilinear`] (same arithmetic, same bytes:
/// `planes_match_interleaved_resize` checks it),
/// written straight into planar `f32` as `value / 255`: channels 0, 1, 2 into
/// the three planes when `cn` ≥ 3, channel 0 into all three when `cn` < 3.
///
/// Faster than resizing then de-interleaving: the horizontal pass keeps each
/// channel in its own row (on AVX2, eight output pixels per step, gathering
/// the source pixels), so the vertical pass and the conversion to `f32` are
/// straight vector loops, and no resized 8-bit image is written out.
///
/// Returns `false` (writing nothing) when a size is zero or a buffer is too small.
#[allow(clippy::too_many_arguments)]
pub(crate) fn resize_bilinear_planes(
    src: &[u8],
    sw: usize,
    sh: usize,
    cn: usize,
    dw: usize,
    dh: usize,
    out: PlanesOut<'_>,
    scratch: &mut ResizeScratch,
) -> bool {
    let PlanesOut {
        planes,
        stride,
        x: ox,
        y: oy,
    } = out;
    if sw == 0 || sh == 0 || dw == 0 || dh == 0 || cn == 0 || src.len() / cn / sw < sh {
        return false;
    }
    if ox + dw > stride || planes.iter().any(|p| p.len() / stride < oy + dh) {
        return false;
    }
    let src_row_len = sw * cn;
    let last_col = (sw - 1) * cn;
    // Channels computed: RGB(A) → 3, grey (+ alpha) → 1.
    let k = if cn >= 3 { 3 } else { 1 };
    scratch.xofs32.clear();
    scratch.a0.clear();
    scratch.a1.clear();
    scratch.a01.clear();
    for (s, a0, a1) in coefficients(sw, dw, true) {
        // Offsets index one source row; a row longer than i32 (never for a
        // decodable image) takes the scalar path, which does not use them.
        scratch
            .xofs32
            .push(i32::try_from(s as usize * cn).unwrap_or(i32::MAX));
        scratch.a0.push(a0);
        scratch.a1.push(a1);
        // Both weights are in [0, 2048]: they fit an i16 each.
        scratch.a01.push(a0 | (a1 << 16));
    }
    let gather_ok = i32::try_from(src_row_len).is_ok();
    for r in &mut scratch.rows {
        r.clear();
        r.resize(k * dw, 0);
    }
    scratch.row_src = [usize::MAX; 2];
    let [p0, p1, p2] = planes;
    let cols = HorizontalCols {
        xofs: &scratch.xofs32,
        a0: &scratch.a0,
        a1: &scratch.a1,
        a01: &scratch.a01,
        cn,
        last_col,
        gather_ok,
    };

    for (y, (sy, b0, b1)) in coefficients(sh, dh, false).enumerate() {
        let r0 = sy.clamp(0, sh as isize - 1) as usize;
        let r1 = (sy + 1).clamp(0, sh as isize - 1) as usize;
        if scratch.row_src[0] != r0 {
            if scratch.row_src[1] == r0 {
                scratch.rows.swap(0, 1);
                scratch.row_src.swap(0, 1);
            } else {
                let s = &src[r0 * src_row_len..(r0 + 1) * src_row_len];
                cols.run(s, k, &mut scratch.rows[0]);
                scratch.row_src[0] = r0;
            }
        }
        if scratch.row_src[1] != r1 {
            let [h0, h1] = &mut scratch.rows;
            if r1 == r0 {
                h1.copy_from_slice(h0);
            } else {
                let s = &src[r1 * src_row_len..(r1 + 1) * src_row_len];
                cols.run(s, k, h1);
            }
            scratch.row_src[1] = r1;
        }
        let at = (oy + y) * stride + ox;
        let rows = [
            &mut p0[at..at + dw],
            &mut p1[at..at + dw],
            &mut p2[at..at + dw],
        ];
        vertical_to_planes(&scratch.rows[0], &scratch.rows[1], b0, b1, k, rows);
    }
    true
}

/// The horizontal pass of the planar path: per destination column, its
/// source byte offset and two weights.
struct HorizontalCols<'a> {
    xofs: &'a [i32],
    a0: &'a [i32],
    a1: &'a [i32],
    a01: &'a [i32],
    cn: usize,
    last_col: usize,
    gather_ok: bool,
}

impl HorizontalCols<'_> {
    /// One source row `s` into `k` channel rows of `row` (channel `c` at `c·dw`).
    fn run(&self, s: &[u8], k: usize, row: &mut [i32]) {
        #[cfg(target_arch = "x86_64")]
        if k == 3 && self.gather_ok && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 is present (checked just above).
            let done = unsafe { self.run_avx2(s, row) };
            self.run_scalar(s, k, row, done);
            return;
        }
        self.run_scalar(s, k, row, 0);
    }

    fn run_scalar(&self, s: &[u8], k: usize, row: &mut [i32], from: usize) {
        let dw = self.xofs.len();
        let cn = self.cn;
        for x in from..dw {
            let x0 = self.xofs[x] as usize;
            let x1 = (x0 + cn).min(self.last_col);
            let (a0, a1) = (self.a0[x], self.a1[x]);
            for c in 0..k {
                row[c * dw + x] = i32::from(s[x0 + c]) * a0 + i32::from(s[x1 + c]) * a1;
            }
        }
    }

    /// Eight destination pixels per step: one 4-byte gather at each pixel's
    /// first source pixel and one at its second give all three channels;
    /// each channel's two bytes become a pair of `i16` that one `pmaddwd`
    /// multiplies by the pair of weights and sums (exact: all in `i32`).
    /// Returns how many columns it did; [`Self::run_scalar`] does the rest
    /// (the last columns, whose 4-byte loads would reach past the row).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn run_avx2(&self, s: &[u8], row: &mut [i32]) -> usize {
        use std::arch::x86_64::*;
        let dw = self.xofs.len();
        let (r, rest) = row.split_at_mut(dw);
        let (g, b) = rest.split_at_mut(dw);
        let cn = _mm256_set1_epi32(self.cn as i32);
        let last = _mm256_set1_epi32(self.last_col as i32);
        // Per 32-bit lane: bytes 0 and 2 (or 1 and 3), each zero-extended to 16 bits.
        let z = -128i8;
        let even = _mm256_setr_epi8(
            0, z, 2, z, 4, z, 6, z, 8, z, 10, z, 12, z, 14, z, 0, z, 2, z, 4, z, 6, z, 8, z, 10, z,
            12, z, 14, z,
        );
        let odd = _mm256_setr_epi8(
            1, z, 3, z, 5, z, 7, z, 9, z, 11, z, 13, z, 15, z, 1, z, 3, z, 5, z, 7, z, 9, z, 11, z,
            13, z, 15, z,
        );
        let mut x = 0;
        while x + 8 <= dw {
            // Offsets never decrease, so the block's last pixel reads furthest.
            let far = self.xofs[x + 7] as usize;
            if far + 4 > s.len() || (far + self.cn).min(self.last_col) + 4 > s.len() {
                break;
            }
            // SAFETY: every 4-byte load starts at an offset ≤ the block's
            // largest, which ends inside `s` (checked above); the slices
            // read and written hold x..x + 8.
            unsafe {
                let o0 = _mm256_loadu_si256(self.xofs.as_ptr().add(x).cast());
                let o1 = _mm256_min_epi32(_mm256_add_epi32(o0, cn), last);
                // Lanes of [c0, c1, c2, c3] bytes of each pixel's two source pixels.
                let p0 = _mm256_i32gather_epi32::<1>(s.as_ptr().cast(), o0);
                let p1 = _mm256_i32gather_epi32::<1>(s.as_ptr().cast(), o1);
                let w = _mm256_loadu_si256(self.a01.as_ptr().add(x).cast());
                // [R0 G0 R1 G1] and [B0 · B1 ·] per lane.
                let rg = _mm256_blend_epi16::<0b1010_1010>(p0, _mm256_slli_epi32::<16>(p1));
                let bx = _mm256_blend_epi16::<0b1010_1010>(_mm256_srli_epi32::<16>(p0), p1);
                let mix = |pairs: __m256i| _mm256_madd_epi16(pairs, w);
                _mm256_storeu_si256(
                    r.as_mut_ptr().add(x).cast(),
                    mix(_mm256_shuffle_epi8(rg, even)),
                );
                _mm256_storeu_si256(
                    g.as_mut_ptr().add(x).cast(),
                    mix(_mm256_shuffle_epi8(rg, odd)),
                );
                _mm256_storeu_si256(
                    b.as_mut_ptr().add(x).cast(),
                    mix(_mm256_shuffle_epi8(bx, even)),
                );
            }
            x += 8;
        }
        x
    }
}

/// The vertical pass of the planar path, with [`resize_bilinear`]'s
/// arithmetic, then `/ 255` into the planes' rows.
///
/// `/ 255` is computed as `(v as f64 * (1 / 255)) as f32`, which equals
/// `v as f32 / 255.0` for every `v` in 0..=255 (checked by a test) and
/// vectorises into multiplies instead of slow divides.
fn vertical_to_planes(h0: &[i32], h1: &[i32], b0: i32, b1: i32, k: usize, rows: [&mut [f32]; 3]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { vertical_to_planes_avx2(h0, h1, b0, b1, k, rows) };
    }
    vertical_to_planes_impl(h0, h1, b0, b1, k, rows);
}

/// [`vertical_to_planes_impl`] compiled for AVX2 (8 lanes of `i32`
/// multiplies, which the SSE2 baseline lacks).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn vertical_to_planes_avx2(
    h0: &[i32],
    h1: &[i32],
    b0: i32,
    b1: i32,
    k: usize,
    rows: [&mut [f32]; 3],
) {
    vertical_to_planes_impl(h0, h1, b0, b1, k, rows);
}

#[inline(always)]
fn vertical_to_planes_impl(
    h0: &[i32],
    h1: &[i32],
    b0: i32,
    b1: i32,
    k: usize,
    rows: [&mut [f32]; 3],
) {
    let [r, g, b] = rows;
    let dw = r.len();
    for (c, out) in [&mut *r, &mut *g, &mut *b].into_iter().take(k).enumerate() {
        let (v0, v1) = (&h0[c * dw..(c + 1) * dw], &h1[c * dw..(c + 1) * dw]);
        for ((o, &v0), &v1) in out.iter_mut().zip(v0).zip(v1) {
            let t0 = ((v0 >> 4) * b0) >> 16;
            let t1 = ((v1 >> 4) * b1) >> 16;
            *o = (f64::from(((t0 + t1 + 2) >> 2).clamp(0, 255)) * (1.0 / 255.0)) as f32;
        }
    }
    if k == 1 {
        g.copy_from_slice(r);
        b.copy_from_slice(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reciprocal_in_f64_equals_f32_division() {
        for v in 0..=255u8 {
            let want = f32::from(v) / 255.0;
            assert_eq!((f64::from(v) * (1.0 / 255.0)) as f32, want, "{v}");
        }
    }

    /// The planar path gives the interleaved resize's bytes, `/ 255`, for
    /// every channel count, up- and down-scaling, odd sizes, at an offset.
    #[test]
    fn planes_match_interleaved_resize() {
        let mut state = 0x2545_f491_u32;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        let mut s1 = ResizeScratch::default();
        let mut s2 = ResizeScratch::default();
        for (sw, sh, dw, dh) in [
            (810, 1080, 416, 416),
            (640, 480, 416, 312),
            (37, 23, 64, 96),
            (1, 1, 9, 17),
            (33, 7, 8, 3),
            (300, 200, 301, 199),
            (9, 9, 3, 3),
        ] {
            for cn in 1..=4 {
                let src: Vec<u8> = (0..sw * sh * cn).map(|_| next() as u8).collect();
                let mut inter = vec![0u8; dw * dh * cn];
                assert!(resize_bilinear(
                    &src, sw, sh, cn, &mut inter, dw, dh, &mut s1
                ));
                let (stride, ox, oy) = (dw + 5, 3, 2);
                let len = stride * (dh + oy + 1);
                let (mut r, mut g, mut b) = (vec![-1.0; len], vec![-1.0; len], vec![-1.0; len]);
                let out = PlanesOut {
                    planes: [&mut r, &mut g, &mut b],
                    stride,
                    x: ox,
                    y: oy,
                };
                assert!(resize_bilinear_planes(
                    &src, sw, sh, cn, dw, dh, out, &mut s2
                ));
                for y in 0..dh {
                    for x in 0..dw {
                        let px = &inter[(y * dw + x) * cn..][..cn];
                        let want = if cn >= 3 {
                            [px[0], px[1], px[2]]
                        } else {
                            [px[0]; 3]
                        };
                        let at = (oy + y) * stride + ox + x;
                        let got = [r[at], g[at], b[at]];
                        let want = want.map(|v| f32::from(v) / 255.0);
                        assert_eq!(got, want, "{sw}x{sh}x{cn} -> {dw}x{dh} at ({x}, {y})");
                    }
                }
                // Nothing outside the content rectangle is touched.
                let inside = |i: usize| {
                    let (y, x) = (i / stride, i % stride);
                    (oy..oy + dh).contains(&y) && (ox..ox + dw).contains(&x)
                };
                assert!(
                    (0..len)
                        .filter(|&i| !inside(i))
                        .all(|i| r[i] == -1.0 && b[i] == -1.0)
                );
            }
        }
    }

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
