// Non-variadic wrappers over libcurl for Swift, which cannot call C variadic functions such as
// curl_easy_setopt and curl_easy_getinfo. Each wrapper fixes one argument type.
#ifndef CCURL_SHIM_H
#define CCURL_SHIM_H

#include <curl/curl.h>

/// curl_global_init(CURL_GLOBAL_DEFAULT); call once, before any other thread uses curl.
CURLcode ccurl_global_init(void);

/// curl_easy_setopt for options that take a long.
CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value);
/// curl_easy_setopt for options that take a C string (libcurl copies it).
CURLcode ccurl_setopt_string(CURL *handle, CURLoption option, const char *value);
/// curl_easy_setopt for options that take a data pointer (userdata, slist, error buffer…).
CURLcode ccurl_setopt_pointer(CURL *handle, CURLoption option, void *value);
/// curl_easy_setopt for CURLOPT_POSTFIELDSIZE_LARGE and other curl_off_t options.
CURLcode ccurl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);

/// CURLOPT_WRITEFUNCTION or CURLOPT_HEADERFUNCTION (same signature).
CURLcode ccurl_setopt_write_function(CURL *handle, CURLoption option, curl_write_callback callback);
/// CURLOPT_XFERINFOFUNCTION; also turns CURLOPT_NOPROGRESS off so the callback runs.
CURLcode ccurl_setopt_xferinfo_function(CURL *handle, curl_xferinfo_callback callback);

/// curl_easy_getinfo for long results (CURLINFO_RESPONSE_CODE…).
CURLcode ccurl_getinfo_long(CURL *handle, CURLINFO info, long *out);
/// curl_easy_getinfo for curl_off_t results (CURLINFO_CONNECT_TIME_T…).
CURLcode ccurl_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *out);

/// Reads the multi handle's messages until one says a transfer is done; returns 1 and stores its
/// result, or 0 when there is none. Hides CURLMsg's union from Swift.
int ccurl_multi_next_done(CURLM *multi, CURLcode *result);

/// Restricts the handle to http and https (CURLOPT_PROTOCOLS_STR on libcurl >= 7.85, the older
/// bitmask option before), so a base URL can never make curl speak file:// or gopher://.
CURLcode ccurl_restrict_to_http(CURL *handle);

/// The value a write callback returns to make libcurl abort the transfer with CURLE_WRITE_ERROR.
size_t ccurl_write_abort(void);

#endif
