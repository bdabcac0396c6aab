/// Parses the Python literal dict of an `.npy` header: string keys; values are strings, booleans
/// or tuples of non-negative integers.
struct NPYHeaderParser {
    enum Value: Equatable { case string(String), bool(Bool), tuple([Int]) }

    private let chars: [Character]
    private var i = 0
    private let source: String

    init(text: String, source: String) {
        self.chars = Array(text)
        self.source = source
    }

    mutating func parseDict() throws -> [String: Value] {
        var result: [String: Value] = [:]
        try expect("{")
        while true {
            skipSpace()
            if peek == "}" { i += 1; break }
            let key = try parseString()
            try expect(":")
            result[key] = try parseValue()
            skipSpace()
            if peek == "," { i += 1; continue }
            try expect("}")
            break
        }
        skipSpace()
        guard i == chars.count else { throw fail("unexpected text after the dict") }
        return result
    }

    private var peek: Character? { i < chars.count ? chars[i] : nil }

    private func fail(_ detail: String) -> ArrayFormatError { .npy(.malformedHeader(source: source, detail: detail)) }

    private mutating func skipSpace() { while let c = peek, c.isWhitespace { i += 1 } }

    private mutating func expect(_ c: Character) throws {
        skipSpace()
        guard peek == c else { throw fail("expected '\(c)' at offset \(i)") }
        i += 1
    }

    private mutating func parseValue() throws -> Value {
        skipSpace()
        switch peek {
        case "'", "\"": return .string(try parseString())
        case "(": return .tuple(try parseTuple())
        case "T": try keyword("True"); return .bool(true)
        case "F": try keyword("False"); return .bool(false)
        default: throw fail("unsupported value at offset \(i)")
        }
    }

    private mutating func keyword(_ word: String) throws {
        for c in word { guard peek == c else { throw fail("expected \(word) at offset \(i)") }; i += 1 }
    }

    private mutating func parseString() throws -> String {
        skipSpace()
        guard let quote = peek, quote == "'" || quote == "\"" else { throw fail("expected a string at offset \(i)") }
        i += 1
        var s = ""
        while let c = peek, c != quote { s.append(c); i += 1 }
        guard peek == quote else { throw fail("unterminated string") }
        i += 1
        return s
    }

    private mutating func parseTuple() throws -> [Int] {
        try expect("(")
        var dims: [Int] = []
        while true {
            skipSpace()
            if peek == ")" { i += 1; return dims }
            var digits = ""
            while let c = peek, c.isASCII, c.isNumber { digits.append(c); i += 1 }
            if peek == "L" { i += 1 }  // Python 2 long suffix
            guard let d = Int(digits) else { throw fail("shape must be a tuple of non-negative integers") }
            dims.append(d)
            skipSpace()
            if peek == "," { i += 1; continue }
            try expect(")")
            return dims
        }
    }
}
