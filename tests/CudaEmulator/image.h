// The "CUBIN" of the emulation: a shared library of host-compiled kernels behind a 24-byte header
// (a magic string and the library's length), because cuModuleLoadData receives only a pointer.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace emu_image {

constexpr char Magic[16] = "RAWGAN-EMU-SO-1";

inline std::vector<char> wrap(const std::string& library)
{
    std::vector<char> image(sizeof Magic + sizeof(uint64_t) + library.size());
    uint64_t length = library.size();
    std::memcpy(image.data(), Magic, sizeof Magic);
    std::memcpy(image.data() + sizeof Magic, &length, sizeof length);
    std::memcpy(image.data() + sizeof Magic + sizeof length, library.data(), library.size());
    return image;
}

// The library inside an image, or false for anything else (a real CUBIN or PTX, say).
inline bool unwrap(const void* image, const char** library, uint64_t* length)
{
    if (!image || std::memcmp(image, Magic, sizeof Magic) != 0) return false;
    std::memcpy(length, static_cast<const char*>(image) + sizeof Magic, sizeof *length);
    *library = static_cast<const char*>(image) + sizeof Magic + sizeof *length;
    return true;
}

}  // namespace emu_image
