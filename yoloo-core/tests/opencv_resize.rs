//! The resizer is bit-exact with OpenCV's `cv::resize(INTER_LINEAR)` on
//! synthetic images of many shapes and on real photos (hashes recorded by
//! `scripts/make_resize_fixture.py`).

use yoloo_testkit::assets;

use serde_json::Value;
use yoloo_core::image_io::{DecodeLimits, open_image};
use yoloo_core::resize::{ResizeScratch, resize_bilinear};

fn fnv1a64(data: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn pattern(w: usize, h: usize, cn: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(w * h * cn);
    for y in 0..h {
        for x in 0..w {
            for c in 0..cn {
                v.push(((x * 7 + y * 13 + c * 29 + (x * y) % 17) % 256) as u8);
            }
        }
    }
    v
}

#[test]
fn bit_exact_with_opencv() {
    let text = std::fs::read_to_string(
        assets::root().join("yoloo-core/tests/fixtures/opencv_resize.json"),
    )
    .unwrap();
    let fixture: Value = serde_json::from_str(&text).unwrap();
    let mut scratch = ResizeScratch::default();
    let mut checked = 0;
    for case in fixture["cases"].as_array().unwrap() {
        let dst: Vec<usize> = serde_json::from_value(case["dst"].clone()).unwrap();
        let (dw, dh) = (dst[0], dst[1]);
        let (src, sw, sh, cn) = match case["source"].as_str().unwrap() {
            "pattern" => {
                let s: Vec<usize> = serde_json::from_value(case["src"].clone()).unwrap();
                (pattern(s[0], s[1], s[2]), s[0], s[1], s[2])
            }
            photo => {
                let img = open_image(&assets::image(photo), &DecodeLimits::default())
                    .unwrap()
                    .to_rgb8();
                let (w, h) = (img.width() as usize, img.height() as usize);
                (img.into_raw(), w, h, 3)
            }
        };
        let mut out = vec![0u8; dw * dh * cn];
        assert!(resize_bilinear(
            &src,
            sw,
            sh,
            cn,
            &mut out,
            dw,
            dh,
            &mut scratch
        ));
        assert_eq!(fnv1a64(&out), case["fnv1a64"].as_str().unwrap(), "{case}");
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} cases");
}
