import Engine

// A folder of JPEG images: one subfolder per class (labels are the sorted subfolder names), or
// flat and unlabelled. Every image is decoded with libjpeg, resized so its shorter side is `size`
// and centre-cropped to size × size.

enum JPEGFolder {
    static func isJPEG(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg")
    }

    /// The image files and their labels (nil when flat) with the class names.
    static func listing(_ folder: String) throws -> (files: [String], labels: [Int]?, classNames: [String]) {
        let entries = try SourceFile.listFolder(folder)
        let classFolders = entries.filter { SourceFile.kind(of: SourceFile.join(folder, $0)) == .folder }
        let looseImages = entries.filter { isJPEG($0) && SourceFile.kind(of: SourceFile.join(folder, $0)) == .file }
        if classFolders.isEmpty {
            guard !looseImages.isEmpty else { throw DatasetError.emptyFolder(path: folder) }
            return (looseImages.map { SourceFile.join(folder, $0) }, nil, [])
        }
        guard looseImages.isEmpty else {
            throw DatasetError.malformed(file: folder, what: "mixes class subfolders with loose images such as \(looseImages[0])")
        }
        var files: [String] = []
        var labels: [Int] = []
        for (label, name) in classFolders.enumerated() {
            let classFolder = SourceFile.join(folder, name)
            let images = try SourceFile.listFolder(classFolder).filter(isJPEG).map { SourceFile.join(classFolder, $0) }
            guard !images.isEmpty else { throw DatasetError.emptyFolder(path: classFolder) }
            files += images
            labels += Array(repeating: label, count: images.count)
        }
        return (files, labels, classFolders)
    }

    /// Decodes one JPEG file to channels-first bytes.
    static func decode(_ path: String, channels: Int) throws -> (pixels: [UInt8], height: Int, width: Int) {
        let bytes = try SourceFile.read(path)
        do {
            return try JPEGCodec.decode(bytes, channels: channels)
        } catch .jpeg(let message) {
            throw DatasetError.corruptImage(file: path, reason: message)
        }
    }

    static func load(_ folder: String, size: Int, channels: Int, split: DatasetSplit, flippable: Bool) throws -> Dataset {
        let (files, labels, classNames) = try listing(folder)
        let outBytes = channels * size * size
        var images = [UInt8](repeating: 0, count: files.count * outBytes)
        var failures = [DatasetError?](repeating: nil, count: files.count)
        images.withUnsafeMutableBufferPointer { dst in
            failures.withUnsafeMutableBufferPointer { failed in
                let (out, errors) = (dst.baseAddress!, failed.baseAddress!)
                Parallel.ranges(files.count, grain: 1) { range in
                    for i in range {
                        do {
                            let image = try decode(files[i], channels: channels)
                            image.pixels.withUnsafeBufferPointer {
                                resizeAndCrop($0.baseAddress!, channels: channels, height: image.height, width: image.width,
                                              size: size, into: out + i * outBytes)
                            }
                        } catch let error as DatasetError {
                            errors[i] = error
                        } catch {
                            errors[i] = .corruptImage(file: files[i], reason: "\(error)")
                        }
                    }
                }
            }
        }
        // Report the first failing file in listing order, whatever order the workers finished in.
        if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
        return Dataset(images: images, count: files.count, channels: channels, height: size, width: size,
                       labels: labels, classNames: classNames, split: split, source: "jpeg-folder: \(folder)",
                       flippable: flippable)
    }
}
