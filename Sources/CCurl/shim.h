#ifndef ALERT_RELAY_CCURL_SHIM_H
#define ALERT_RELAY_CCURL_SHIM_H
#include <curl/curl.h>

// curl_easy_setopt/curl_easy_getinfo are C variadics, which Swift cannot call: one typed wrapper per argument type.
static inline CURLcode curlx_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode curlx_setopt_str(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode curlx_setopt_ptr(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode curlx_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
// Callbacks need their exact function-pointer type for curl's typecheck-gcc.h under -O.
static inline CURLcode curlx_setopt_writefn(CURL *h, curl_write_callback cb) { return curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cb); }
static inline CURLcode curlx_setopt_headerfn(CURL *h, curl_write_callback cb) { return curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, cb); }
static inline CURLcode curlx_setopt_readfn(CURL *h, curl_read_callback cb) { return curl_easy_setopt(h, CURLOPT_READFUNCTION, cb); }
static inline CURLcode curlx_setopt_opensocketfn(CURL *h, curl_opensocket_callback cb) { return curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, cb); }
// Prereq runs after every connect or connection reuse, before the request is sent: re-checks a reused keep-alive connection's address.
static inline CURLcode curlx_setopt_prereqfn(CURL *h, curl_prereq_callback cb) { return curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, cb); }
static inline CURLcode curlx_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode curlx_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode curlx_getinfo_str(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }
// curl_multi_setopt is variadic too.
static inline CURLMcode curlx_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
#endif
