#include "cjpeg.h"
#include <stdio.h>
#include <jpeglib.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

// libjpeg's default error handler calls exit(); this one longjmps back to the decoder instead.
typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf escape;
    char message[JMSG_LENGTH_MAX];
} error_manager;

static void on_error(j_common_ptr cinfo) {
    error_manager *err = (error_manager *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->escape, 1);
}

// Warnings (msg_level == -1) include "Premature end of JPEG file": treat them as errors.
static void on_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level < 0) on_error(cinfo);
}

// Both directions share the handler; setjmp itself must stay in each caller's frame.
static struct jpeg_error_mgr *install_error_manager(error_manager *err) {
    struct jpeg_error_mgr *base = jpeg_std_error(&err->base);
    err->base.error_exit = on_error;
    err->base.emit_message = on_message;
    err->message[0] = 0;
    return base;
}

static lzn_jpeg_image failure(const char *message) {
    lzn_jpeg_image image;
    memset(&image, 0, sizeof image);
    image.status = 1;
    snprintf(image.message, sizeof image.message, "%s", message);
    return image;
}

lzn_jpeg_image lzn_jpeg_decode(const unsigned char *data, size_t size, int want_channels, size_t max_pixels) {
    if (want_channels != 1 && want_channels != 3) return failure("channels must be 1 or 3");
    if (data == NULL || size < 4) return failure("not a JPEG: too short");

    struct jpeg_decompress_struct cinfo;
    error_manager err;
    unsigned char *volatile pixels = NULL;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = install_error_manager(&err);

    if (setjmp(err.escape)) {
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        return failure(err.message[0] ? err.message : "corrupt JPEG");
    }

    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = want_channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_calc_output_dimensions(&cinfo);
    size_t width = cinfo.output_width, height = cinfo.output_height;
    if (width == 0 || height == 0 || width * height > max_pixels) {
        jpeg_destroy_decompress(&cinfo);
        return failure("image dimensions out of range");
    }
    jpeg_start_decompress(&cinfo);
    size_t stride = width * (size_t)want_channels;
    pixels = malloc(stride * height);
    if (pixels == NULL) {
        jpeg_destroy_decompress(&cinfo);
        return failure("out of memory");
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + (size_t)cinfo.output_scanline * stride;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);

    lzn_jpeg_image image;
    memset(&image, 0, sizeof image);
    image.width = (int)width;
    image.height = (int)height;
    image.channels = want_channels;
    image.pixels = pixels;
    return image;
}

void lzn_jpeg_free(lzn_jpeg_image *image) {
    if (image == NULL) return;
    free(image->pixels);
    image->pixels = NULL;
}

static lzn_jpeg_encoded encode_failure(const char *message) {
    lzn_jpeg_encoded encoded;
    memset(&encoded, 0, sizeof encoded);
    encoded.status = 1;
    snprintf(encoded.message, sizeof encoded.message, "%s", message);
    return encoded;
}

lzn_jpeg_encoded lzn_jpeg_encode(const unsigned char *pixels, int width, int height, int channels, int quality) {
    if (channels != 1 && channels != 3) return encode_failure("channels must be 1 or 3");
    if (pixels == NULL || width <= 0 || height <= 0 || width > 65500 || height > 65500)
        return encode_failure("image dimensions out of range");
    if (quality < 1 || quality > 100) return encode_failure("quality must be in 1...100");

    struct jpeg_compress_struct cinfo;
    error_manager err;
    // jpeg_mem_dest writes these through their addresses, so they live in memory across longjmp.
    unsigned char *buffer = NULL;
    unsigned long size = 0;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = install_error_manager(&err);

    if (setjmp(err.escape)) {
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return encode_failure(err.message[0] ? err.message : "JPEG encoding failed");
    }

    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &buffer, &size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)width * (size_t)channels;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);

    lzn_jpeg_encoded encoded;
    memset(&encoded, 0, sizeof encoded);
    encoded.bytes = buffer;
    encoded.size = (size_t)size;
    return encoded;
}

void lzn_jpeg_free_encoded(lzn_jpeg_encoded *encoded) {
    if (encoded == NULL) return;
    free(encoded->bytes);
    encoded->bytes = NULL;
    encoded->size = 0;
}
