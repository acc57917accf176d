#include <fcgiapp.h>
// The responder waits on its connections with epoll (FastCGIServer/ConnectionSet.swift); Glibc's Swift module
// does not export it.
#include <sys/epoll.h>
