extension Int {
    /// `value` rounded towards zero and clamped to ±Int.max (so negating the result cannot trap
    /// either), 0 for NaN: a conversion for text and layout that cannot trap, whatever a diverging run
    /// produces (`Int(_:)` traps on NaN, on infinities and on anything beyond ±9.2e18).
    init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9.223_372_036_854_775e18 {
            self = .max
        } else if value <= -9.223_372_036_854_775e18 {
            self = -.max
        } else {
            self = Int(value)
        }
    }
}
