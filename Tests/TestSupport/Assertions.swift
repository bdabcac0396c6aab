import XCTest

/// Every element of `actual` is within `tolerance` of the same element of `expected` (absolute, or
/// with `relative` within tolerance · (1 + |expected|)), compared in float64 whatever the element
/// types, and the counts agree. NaN is never close. A failure names the worst element and how many
/// are off. The one closeness check of all test targets.
public func assertClose<A: BinaryFloatingPoint, E: BinaryFloatingPoint>(
    _ actual: [A], _ expected: [E], tolerance: Double, relative: Bool = false, _ message: @autoclosure () -> String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    func prefix() -> String { let m = message(); return m.isEmpty ? "" : m + ": " }
    guard actual.count == expected.count else {
        return XCTFail("\(prefix())\(actual.count) values, expected \(expected.count)", file: file, line: line)
    }
    var worst: (index: Int, excess: Double)?
    var failures = 0
    for i in actual.indices {
        let e = Double(expected[i])
        let excess = abs(Double(actual[i]) - e) - (relative ? tolerance * (1 + abs(e)) : tolerance)
        guard !(excess <= 0) else { continue }
        failures += 1
        let measure = excess.isNaN ? .infinity : excess
        if measure > worst?.excess ?? -1 { worst = (i, measure) }
    }
    if let worst {
        XCTFail("\(prefix())element \(worst.index) is \(actual[worst.index]), expected \(expected[worst.index]) "
                + "(\(failures) of \(actual.count) off by more than \(relative ? "\(tolerance) · (1 + |expected|)" : "\(tolerance)"))",
                file: file, line: line)
    }
}
