/*
 * fuzz_eslogger.c - eslogger JSON lines: whatever the bytes, parsing must
 * either fail with ESTEL_E_CORRUPT and a message or give an event that
 * encodes into a record which record_check accepts and record_to_json
 * prints.  The same line parsed in place (eslogger_parse_padded, padding
 * of junk) must give the same code and message, or the same record.
 * Seeds: corpus/eslogger/ (estel's hand-written lines).
 */
#include "collector/collector.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct record_identity id = { "fuzzhost", "fuzzboot" };
    static const struct record_limits lim = { 1u << 16, 256, true };
    static struct estel_event ev;
    /* made once and reused, as the source does: state left behind by one
     * line must not hurt the next */
    static struct eslogger_parser *p;
    static struct record_encoder *enc;
    struct estel_err err, err2;
    struct estel_buf out;
    const uint8_t *rec;
    uint8_t *rec1 = NULL;
    size_t len = 0, used;
    enum estel_rc rc;
    char *line, *padded;

    if (size > ESLOGGER_MAX_LINE)
        return 0;
    /* an exact-size heap copy: ASan sees any read past the line */
    if ((line = malloc(size > 0 ? size : 1)) == NULL)
        return 0;
    memcpy(line, data, size);
    if ((p == NULL && eslogger_parser_create(&p, NULL) != ESTEL_OK) ||
        (enc == NULL && record_encoder_create(&enc, &id, &lim, NULL) !=
         ESTEL_OK))
        abort();
    buf_init(&out, 64u << 20);
    estel_err_clear(&err);
    if ((rc = eslogger_parse_line(p, line, size, &ev, &err)) != ESTEL_OK) {
        if (err.rc != ESTEL_E_CORRUPT || err.msg[0] == '\0')
            abort();            /* every failure says what is wrong */
    } else if (record_encode_event(enc, &ev, 1, &rec, &len) == ESTEL_OK) {
        if (record_check(rec, len, &used, NULL) != ESTEL_OK || used != len ||
            record_to_json(rec, len, &out, &used, NULL) != ESTEL_OK)
            abort();            /* our own records must read back */
        if ((rec1 = malloc(len > 0 ? len : 1)) == NULL)
            abort();
        memcpy(rec1, rec, len);
    }
    /* in place: same answer */
    if ((padded = malloc(size + ESLOGGER_PADDING)) == NULL)
        abort();
    memcpy(padded, data, size);
    memset(padded + size, '"', ESLOGGER_PADDING);
    estel_err_clear(&err2);
    if (eslogger_parse_padded(p, padded, size, &ev, &err2) != rc ||
        (rc != ESTEL_OK && strcmp(err.msg, err2.msg) != 0) ||
        (rec1 != NULL &&
         (record_encode_event(enc, &ev, 1, &rec, &used) != ESTEL_OK ||
          used != len || memcmp(rec, rec1, len) != 0)))
        abort();
    free(padded);
    free(rec1);
    buf_free(&out);
    free(line);
    return 0;
}
