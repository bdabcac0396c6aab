#ifndef LZN_CJPEG_H
#define LZN_CJPEG_H
#include <stddef.h>

/// Result of decoding one JPEG held in memory.
/// On success `status` is 0 and `pixels` holds height*width*channels bytes (row-major, interleaved),
/// to be released with `lzn_jpeg_free`. On failure `status` is non-zero, `pixels` is NULL and
/// `message` says what libjpeg reported. Warnings (e.g. data truncated inside the entropy-coded
/// segment) count as failures: a damaged image is never returned as if it were whole.
typedef struct {
    int status;
    int width;
    int height;
    int channels;
    unsigned char *pixels;
    char message[200];
} lzn_jpeg_image;

/// Decodes `size` bytes. `want_channels` is 1 (grayscale) or 3 (RGB); libjpeg converts.
/// `max_pixels` bounds width*height before any allocation (a lying header cannot exhaust memory).
lzn_jpeg_image lzn_jpeg_decode(const unsigned char *data, size_t size, int want_channels, size_t max_pixels);

void lzn_jpeg_free(lzn_jpeg_image *image);

/// Result of encoding: on success `status` is 0 and `bytes` holds `size` bytes of JPEG, to be
/// released with `lzn_jpeg_free_encoded`; on failure `bytes` is NULL and `message` says why.
typedef struct {
    int status;
    unsigned char *bytes;
    size_t size;
    char message[200];
} lzn_jpeg_encoded;

/// Encodes row-major interleaved pixels (`channels` 1 = grayscale or 3 = RGB) at `quality` 1...100.
lzn_jpeg_encoded lzn_jpeg_encode(const unsigned char *pixels, int width, int height, int channels, int quality);

void lzn_jpeg_free_encoded(lzn_jpeg_encoded *encoded);

#endif
