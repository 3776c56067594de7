//! Strategies shared by the `prop_*` property tests.

use proptest::prelude::*;

/// Valid Debian versions built from few, collision-prone pieces so that equal, `~`-ordered and
/// leading-zero cases come up often: `[epoch:]upstream[-revision]`.
pub fn version() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("0"),
        Just("1"),
        Just("01"),
        Just("10"),
        Just("9"),
        Just("a"),
        Just("b"),
        Just("Z"),
        Just("~"),
        Just("~~"),
        Just("."),
        Just("+"),
    ];
    let pieces = prop::collection::vec(piece, 0..5).prop_map(|v| v.concat());
    let epoch = prop_oneof![
        Just(String::new()),
        Just("0:".into()),
        Just("1:".into()),
        Just("10:".into())
    ];
    let first = prop_oneof![Just("0"), Just("1"), Just("2"), Just("00")];
    let revision = prop_oneof![
        Just(String::new()),
        prop::collection::vec(
            prop_oneof![
                Just("0"),
                Just("1"),
                Just("a"),
                Just("~"),
                Just("."),
                Just("+")
            ],
            1..4
        )
        .prop_map(|v| format!("-{}", v.concat())),
    ];
    (epoch, first, pieces, revision).prop_map(|(e, f, p, r)| format!("{e}{f}{p}{r}"))
}
