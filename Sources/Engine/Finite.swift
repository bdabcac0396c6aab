extension Tensor {
    /// True when no element is NaN or ±infinity. x·0 is 0 for finite x and NaN otherwise, and NaN
    /// survives a sum, so one vectorised pass decides it.
    public var allFinite: Bool {
        var acc = SIMD16<Float>()
        let raw = UnsafeRawPointer(data)
        var i = 0
        while i + 16 <= count {
            acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) * 0
            i += 16
        }
        var tail: Float = 0
        while i < count {
            tail += data[i] * 0
            i += 1
        }
        return (acc.sum() + tail) == 0
    }
}
