/// A strict parser for the TOML subset pipeline files use: comments, `[dotted.table]` headers,
/// `key = value` with bare, quoted or dotted keys, basic and literal strings, integers, floats,
/// booleans, arrays (may span lines) and one-line inline tables. Anything else — array-of-tables
/// headers, dates, multi-line strings, duplicate keys — is an error with its line number.
public struct TOMLParser {
    private let chars: [Character]
    private var pos = 0
    private var line = 1

    public static func parse(_ text: String) throws -> TOMLTable {
        var parser = TOMLParser(chars: Array(text))
        return try parser.document()
    }

    private init(chars: [Character]) { self.chars = chars }

    private var current: Character? { pos < chars.count ? chars[pos] : nil }
    private func fail(_ message: String) -> PipelineError { .toml(line: line, message: message) }

    private mutating func advance() {
        if chars[pos] == "\n" || chars[pos] == "\r\n" { line += 1 }
        pos += 1
    }

    private mutating func skipSpaces() {
        while let c = current, c == " " || c == "\t" { advance() }
    }

    private mutating func skipComment() {
        if current == "#" { while let c = current, c != "\n" { advance() } }
    }

    /// Spaces, comments and newlines (inside arrays).
    private mutating func skipBlank() {
        while let c = current {
            if c == " " || c == "\t" || c == "\n" || c == "\r\n" || c == "\r" { advance() }
            else if c == "#" { skipComment() }
            else { break }
        }
    }

    private mutating func expectLineEnd() throws {
        skipSpaces(); skipComment()
        guard let c = current else { return }
        guard c == "\n" || c == "\r\n" else { throw fail("unexpected '\(c)' after value (one key = value per line)") }
        advance()
    }

    private mutating func document() throws -> TOMLTable {
        let root = TOMLTable(line: 1)
        var table = root
        while true {
            skipBlank()
            guard let c = current else { return root }
            if c == "[" {
                table = try header(root)
            } else {
                try keyValue(into: table)
                try expectLineEnd()
            }
        }
    }

    private mutating func header(_ root: TOMLTable) throws -> TOMLTable {
        let headerLine = line
        advance()
        if current == "[" { throw fail("arrays of tables ([[...]]) are not supported") }
        skipSpaces()
        let path = try key()
        skipSpaces()
        guard current == "]" else { throw fail("expected ']' to close the table header") }
        advance()
        try expectLineEnd()
        var table = root
        for (i, part) in path.enumerated() {
            let isLast = i == path.count - 1
            if let existing = table[part] {
                guard case .table(let sub) = existing.value else {
                    throw PipelineError.toml(line: headerLine, message: "'\(path[...i].joined(separator: "."))' is already a \(existing.value.typeName) (line \(existing.line))")
                }
                if isLast && (sub.definedByHeader || sub.sealed) {
                    throw PipelineError.toml(line: headerLine, message: "table [\(path.joined(separator: "."))] is already defined (line \(sub.line))")
                }
                if sub.sealed { throw PipelineError.toml(line: headerLine, message: "cannot extend inline table '\(part)' (line \(sub.line))") }
                table = sub
            } else {
                let sub = TOMLTable(line: headerLine)
                table.set(part, TOMLNode(value: .table(sub), line: headerLine))
                table = sub
            }
        }
        table.definedByHeader = true
        return table
    }

    /// A dotted key: `a`, `"quoted key"`, `a.b.c`.
    private mutating func key() throws -> [String] {
        var parts: [String] = []
        while true {
            skipSpaces()
            guard let c = current else { throw fail("expected a key") }
            if c == "\"" { parts.append(try basicString()) }
            else if c == "'" { parts.append(try literalString()) }
            else {
                var bare = ""
                while let c = current, c.isASCII, c.isLetter || c.isNumber || c == "_" || c == "-" { bare.append(c); advance() }
                if bare.isEmpty { throw fail("expected a key, found '\(c)'") }
                parts.append(bare)
            }
            skipSpaces()
            if current == "." { advance() } else { return parts }
        }
    }

    private mutating func keyValue(into table: TOMLTable) throws {
        let keyLine = line
        let path = try key()
        skipSpaces()
        guard current == "=" else { throw fail("expected '=' after key '\(path.joined(separator: "."))'") }
        advance()
        skipSpaces()
        let node = try value()
        var target = table
        for part in path.dropLast() {
            if let existing = target[part] {
                guard case .table(let sub) = existing.value, !sub.definedByHeader, !sub.isInline else {
                    throw PipelineError.toml(line: keyLine, message: "key '\(part)' is already defined (line \(existing.line))")
                }
                target = sub
            } else {
                let sub = TOMLTable(line: keyLine)
                sub.sealed = true
                target.set(part, TOMLNode(value: .table(sub), line: keyLine))
                target = sub
            }
        }
        let last = path[path.count - 1]
        if let existing = target[last] {
            throw PipelineError.toml(line: keyLine, message: "duplicate key '\(path.joined(separator: "."))' (first defined on line \(existing.line))")
        }
        target.set(last, node)
    }

    private mutating func value() throws -> TOMLNode {
        let startLine = line
        guard let c = current else { throw fail("expected a value") }
        let v: TOMLValue
        switch c {
        case "\"":
            if chars[pos...].starts(with: ["\"", "\"", "\""]) { throw fail("multi-line strings are not supported") }
            v = .string(try basicString())
        case "'":
            if chars[pos...].starts(with: ["'", "'", "'"]) { throw fail("multi-line strings are not supported") }
            v = .string(try literalString())
        case "[": v = .array(try array())
        case "{": v = .table(try inlineTable())
        case "t", "f": v = .bool(try boolean())
        case "\n", "\r\n", "#": throw fail("missing value")
        default: v = try number()
        }
        return TOMLNode(value: v, line: startLine)
    }

    private mutating func basicString() throws -> String {
        advance()
        var s = ""
        while true {
            guard let c = current, c != "\n", c != "\r\n" else { throw fail("unterminated string") }
            advance()
            if c == "\"" { return s }
            if c != "\\" { s.append(c); continue }
            guard let e = current else { throw fail("unterminated string") }
            advance()
            switch e {
            case "\"": s.append("\"")
            case "\\": s.append("\\")
            case "n": s.append("\n")
            case "t": s.append("\t")
            case "r": s.append("\r")
            case "u", "U":
                let count = e == "u" ? 4 : 8
                var hex = ""
                for _ in 0..<count {
                    guard let h = current, h.isHexDigit else { throw fail("bad \\\(e) escape") }
                    hex.append(h); advance()
                }
                guard let scalar = UInt32(hex, radix: 16).flatMap(Unicode.Scalar.init) else { throw fail("bad unicode escape \\\(e)\(hex)") }
                s.unicodeScalars.append(scalar)
            default: throw fail("unknown escape '\\\(e)'")
            }
        }
    }

    private mutating func literalString() throws -> String {
        advance()
        var s = ""
        while true {
            guard let c = current, c != "\n", c != "\r\n" else { throw fail("unterminated string") }
            advance()
            if c == "'" { return s }
            s.append(c)
        }
    }

    private mutating func boolean() throws -> Bool {
        for (word, value) in [("true", true), ("false", false)] where chars[pos...].starts(with: word) {
            pos += word.count
            if let c = current, c.isLetter || c.isNumber || c == "_" { break }
            return value
        }
        throw fail("invalid value (strings need quotes)")
    }

    private mutating func number() throws -> TOMLValue {
        var text = ""
        while let c = current, c.isASCII, c.isLetter || c.isNumber || "+-._".contains(c) { text.append(c); advance() }
        if text.isEmpty { throw fail("invalid value '\(current.map(String.init) ?? "")'") }
        let digits = String(text.filter { $0 != "_" })
        let isFloat = digits.contains(".") || digits.contains("e") || digits.contains("E")
        if !isFloat, let i = Int(digits) { return .integer(i) }
        if isFloat, digits.allSatisfy({ $0.isNumber || "+-.eE".contains($0) }), let d = Double(digits), d.isFinite {
            return .float(d)
        }
        throw fail("invalid value '\(text)' (strings need quotes)")
    }

    private mutating func array() throws -> [TOMLNode] {
        advance()
        var items: [TOMLNode] = []
        while true {
            skipBlank()
            guard let c = current else { throw fail("unterminated array") }
            if c == "]" { advance(); return items }
            items.append(try value())
            skipBlank()
            if current == "," { advance(); continue }
            if current == nil { throw fail("unterminated array") }
            guard current == "]" else { throw fail("expected ',' or ']' in array") }
        }
    }

    private mutating func inlineTable() throws -> TOMLTable {
        let table = TOMLTable(line: line)
        table.sealed = true
        table.isInline = true
        advance()
        skipSpaces()
        if current == "}" { advance(); return table }
        while true {
            skipSpaces()
            if current == "\n" || current == "\r\n" { throw fail("inline tables must be on one line") }
            try keyValue(into: table)
            skipSpaces()
            guard let c = current else { throw fail("unterminated inline table") }
            if c == "}" { advance(); return table }
            guard c == "," else { throw fail(c == "\n" ? "inline tables must be on one line" : "expected ',' or '}' in inline table") }
            advance()
        }
    }
}
