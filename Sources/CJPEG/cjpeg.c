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
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = on_error;
    err.base.emit_message = on_message;
    err.message[0] = 0;

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
