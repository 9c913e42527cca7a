/// The linear scaling rule (Goyal et al. 2017, "Accurate, Large Minibatch SGD"): a rate tuned for
/// batch size `reference` becomes rate · batch / reference for batch size `batch`.
///
/// Usually paired with a few epochs of ``WarmupSchedule``, as in the paper. Works for `Float` and
/// `Double` rates alike.
public func scaledForBatch<Rate: BinaryFloatingPoint>(rate: Rate, batch: Int, reference: Int) -> Rate {
    precondition(batch > 0 && reference > 0, "batch sizes must be positive")
    return rate * Rate(batch) / Rate(reference)
}
