// Numbers in text a user reads: conversions that cannot trap, whatever a diverging run produces.

extension String {
    /// `value` with exactly `digits` decimals (no Foundation formatter needed in hot paths); beyond
    /// 1e15, where whole and fraction no longer fit exactly, Swift's own shortest form (2.95e+26).
    public init(format2 value: Double, _ digits: Int) {
        guard value.isFinite, abs(value) < 1e15 else {
            self = "\(value)"
            return
        }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (abs(value) * scale).rounded()
        let whole = Int(rounded / scale)
        let fraction = Int(rounded - Double(whole) * scale)
        let sign = value < 0 && rounded != 0 ? "-" : ""
        if digits == 0 {
            self = "\(sign)\(whole)"
        } else {
            let fractionText = String(fraction)
            self = "\(sign)\(whole)." + String(repeating: "0", count: digits - fractionText.count) + fractionText
        }
    }
}

extension Int {
    /// `value` rounded towards zero and clamped to ±Int.max (so negating the result cannot trap
    /// either), 0 for NaN: a conversion for text and layout that cannot trap, whatever a diverging run
    /// produces (`Int(_:)` traps on NaN, on infinities and on anything beyond ±9.2e18).
    public init(saturating value: Double) {
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
