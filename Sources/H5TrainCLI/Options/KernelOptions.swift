import ArgumentParser
import NeuralNet
import Settings
import Training

extension KernelBackend: ExpressibleByArgument {}
extension KernelISA: ExpressibleByArgument {}

/// `--kernels` and `--isa`: which library runs the matrix products, and how far oneDNN may go.
struct KernelOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Matrix-product kernels: onednn or openblas for every product (default: on x86-64 Linux where libdnnl is installed, oneDNN with OpenBLAS for the small products, else openblas). Results may differ in the last bits between them.",
        valueName: "backend"))
    var kernels: KernelBackend?

    @Option(help: ArgumentHelp(
        "The most oneDNN may use: native, avx512_core, avx2, avx or sse41 (implies --kernels onednn). The same kernels and instruction set give the same bits on any machine.",
        valueName: "isa"))
    var isa: KernelISA?

    /// Makes the chosen kernels the process's (every engine made afterwards runs them) and returns them.
    @discardableResult
    func select() throws(TrainingError) -> MatrixProducts {
        let products: MatrixProducts
        do {
            if kernels == nil && isa == nil {
                products = .automatic
            } else {
                products = try MatrixProducts(kernels ?? .onednn, maximumISA: isa ?? .native)
            }
        } catch {
            throw .invalidSetting(error.concernsBackend ? .kernels : .isa, SettingText(error.description))
        }
        MatrixProducts.select(products)
        return products
    }
}
