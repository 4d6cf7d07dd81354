//! `show::array` prints what numpy's `str()` prints, on arrays numpy
//! printed itself (`tests/fixtures/make_numpy_str.py` wrote them).

use ndarray::{ArrayD, IxDyn};
use rnn_basics::show;
use serde_json::Value;

#[test]
fn prints_like_numpy() {
    let text = std::fs::read_to_string("tests/fixtures/numpy_str.json").expect("fixture");
    let fixture: Value = serde_json::from_str(&text).expect("JSON");
    let cases = fixture["cases"].as_array().expect("cases");
    assert!(cases.len() > 40);
    for case in cases {
        let shape: Vec<usize> = case["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        let mut nonfinite =
            case["nonfinite"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| match v.as_str().unwrap() {
                    "nan" => f32::NAN,
                    "inf" => f32::INFINITY,
                    "-inf" => f32::NEG_INFINITY,
                    other => panic!("unexpected {other}"),
                });
        let data: Vec<f32> = case["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| match v.as_f64() {
                Some(x) => x as f32,
                None => nonfinite.next().expect("a non-finite value for each null"),
            })
            .collect();
        let a = ArrayD::from_shape_vec(IxDyn(&shape), data).unwrap();
        assert_eq!(
            show::array(&a),
            case["str"].as_str().unwrap(),
            "shape {shape:?}"
        );
    }
}
