#pragma once
// zring's version: the one place it is written (CMake reads it from here).

#define ZRING_VERSION_MAJOR 0
#define ZRING_VERSION_MINOR 1
#define ZRING_VERSION_PATCH 0

#define ZRING_VERSION_STRINGIFY_(x) #x
#define ZRING_VERSION_STRINGIFY(x) ZRING_VERSION_STRINGIFY_(x)
// "0.1.0"
#define ZRING_VERSION_STRING                                                                  \
    ZRING_VERSION_STRINGIFY(ZRING_VERSION_MAJOR) "." ZRING_VERSION_STRINGIFY(ZRING_VERSION_MINOR) "." \
        ZRING_VERSION_STRINGIFY(ZRING_VERSION_PATCH)
