#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Thin names for the C math functions, so the numerical code reads like its formulas and
// works the same on Linux and macOS.
@inline(__always) func _log(_ x: Double) -> Double { log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { cos(x) }
@inline(__always) func _exp(_ x: Float) -> Float { expf(x) }
@inline(__always) func _expD(_ x: Double) -> Double { exp(x) }
@inline(__always) func _logD(_ x: Double) -> Double { log(x) }
@inline(__always) func _tanh(_ x: Float) -> Float { tanhf(x) }
@inline(__always) func _log1p(_ x: Float) -> Float { log1pf(x) }
