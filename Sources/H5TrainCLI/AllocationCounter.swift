#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Heap allocations so far, when tools/count-allocations preloaded its counter; nil otherwise.
enum AllocationCounter {
    private typealias CountFunction = @convention(c) () -> Int

    private static let function: CountFunction? = {
        #if os(Linux)
        let everywhere: UnsafeMutableRawPointer? = nil  // RTLD_DEFAULT
        #else
        let everywhere = UnsafeMutableRawPointer(bitPattern: -2)  // RTLD_DEFAULT
        #endif
        guard let symbol = dlsym(everywhere, "h5train_allocation_count") else { return nil }
        return unsafeBitCast(symbol, to: CountFunction.self)
    }()

    static var count: Int? { function?() }

    private typealias ThreadCountFunction = @convention(c) (UnsafePointer<CChar>) -> Int

    private static let threadFunction: ThreadCountFunction? = {
        #if os(Linux)
        let everywhere: UnsafeMutableRawPointer? = nil  // RTLD_DEFAULT
        #else
        let everywhere = UnsafeMutableRawPointer(bitPattern: -2)  // RTLD_DEFAULT
        #endif
        guard let symbol = dlsym(everywhere, "h5train_thread_allocation_count") else { return nil }
        return unsafeBitCast(symbol, to: ThreadCountFunction.self)
    }()

    /// Heap allocations so far of the live threads named `name` (part of `count`), when the
    /// preloaded counter counts them; nil otherwise.
    static func count(onThreadsNamed name: String) -> Int? {
        guard let threadFunction else { return nil }
        return name.withCString { threadFunction($0) }
    }
}
