// Emulated NVRTC (built as libnvrtc.so.13): "compiles" a kernel file by handing it to the host's
// C++ compiler with kernel_prelude.h in front, as a shared library of the kernels plus a launcher
// for each. The image it returns is that library behind a small header (image.h); the emulated
// driver's cuModuleLoadData opens it.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "image.h"

#ifndef RAWGAN_EMU_CXX
#error "build with -DRAWGAN_EMU_CXX=<the host compiler that builds the kernels>"
#endif

extern "C" {

typedef enum {
    NVRTC_SUCCESS = 0,
    NVRTC_ERROR_OUT_OF_MEMORY = 1,
    NVRTC_ERROR_PROGRAM_CREATION_FAILURE = 2,
    NVRTC_ERROR_INVALID_INPUT = 3,
    NVRTC_ERROR_INVALID_PROGRAM = 4,
    NVRTC_ERROR_INVALID_OPTION = 5,
    NVRTC_ERROR_COMPILATION = 6,
    NVRTC_ERROR_INTERNAL_ERROR = 11,
} nvrtcResult;

struct Program {
    std::string source, name;
    std::vector<std::pair<std::string, std::string>> headers;  // (include name, text)
    std::string log;
    std::vector<char> image;
    bool compiled = false, real_architecture = false;
};
typedef Program* nvrtcProgram;

const char* nvrtcGetErrorString(nvrtcResult result)
{
    switch (result) {
    case NVRTC_SUCCESS: return "NVRTC_SUCCESS";
    case NVRTC_ERROR_OUT_OF_MEMORY: return "NVRTC_ERROR_OUT_OF_MEMORY";
    case NVRTC_ERROR_PROGRAM_CREATION_FAILURE: return "NVRTC_ERROR_PROGRAM_CREATION_FAILURE";
    case NVRTC_ERROR_INVALID_INPUT: return "NVRTC_ERROR_INVALID_INPUT";
    case NVRTC_ERROR_INVALID_PROGRAM: return "NVRTC_ERROR_INVALID_PROGRAM";
    case NVRTC_ERROR_INVALID_OPTION: return "NVRTC_ERROR_INVALID_OPTION";
    case NVRTC_ERROR_COMPILATION: return "NVRTC_ERROR_COMPILATION";
    case NVRTC_ERROR_INTERNAL_ERROR: return "NVRTC_ERROR_INTERNAL_ERROR";
    }
    return "NVRTC_ERROR unknown";
}

// Version 0.0: an emulation, so its images never share a cache key with a real NVRTC's.
nvrtcResult nvrtcVersion(int* major, int* minor)
{
    if (!major || !minor) return NVRTC_ERROR_INVALID_INPUT;
    *major = 0;
    *minor = 0;
    return NVRTC_SUCCESS;
}

// The emulated device is an sm_90 (cuda.cpp); knowing only that architecture keeps the CUBIN path.
nvrtcResult nvrtcGetNumSupportedArchs(int* count)
{
    if (!count) return NVRTC_ERROR_INVALID_INPUT;
    *count = 1;
    return NVRTC_SUCCESS;
}

nvrtcResult nvrtcGetSupportedArchs(int* archs)
{
    if (!archs) return NVRTC_ERROR_INVALID_INPUT;
    archs[0] = 90;
    return NVRTC_SUCCESS;
}

nvrtcResult nvrtcCreateProgram(nvrtcProgram* prog, const char* src, const char* name, int numHeaders,
                               const char* const* headers, const char* const* includeNames)
{
    if (!prog || !src || numHeaders < 0 || (numHeaders > 0 && (!headers || !includeNames))) return NVRTC_ERROR_INVALID_INPUT;
    auto* p = new Program{src, name ? name : "default_program", {}, "", {}, false, false};
    for (int i = 0; i < numHeaders; ++i) {
        if (!headers[i] || !includeNames[i]) { delete p; return NVRTC_ERROR_INVALID_INPUT; }
        p->headers.emplace_back(includeNames[i], headers[i]);
    }
    *prog = p;
    return NVRTC_SUCCESS;
}

nvrtcResult nvrtcDestroyProgram(nvrtcProgram* prog)
{
    if (!prog) return NVRTC_ERROR_INVALID_PROGRAM;
    delete *prog;
    *prog = nullptr;
    return NVRTC_SUCCESS;
}

}  // extern "C"

namespace {

bool write_file(const std::string& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary);
    out << text;
    return static_cast<bool>(out);
}

// The folder of this library: kernel_prelude.h is installed beside it.
std::string own_directory()
{
    Dl_info info{};
    dladdr(reinterpret_cast<void*>(&nvrtcCreateProgram), &info);
    std::string path = info.dli_fname ? info.dli_fname : "";
    auto slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

// The options RawGan's KernelCompiler passes; NVRTC would refuse anything it does not know too.
bool parse_options(Program& p, int count, const char* const* options, bool& fmad)
{
    std::string architecture;
    fmad = true;
    for (int i = 0; i < count; ++i) {
        std::string o = options[i] ? options[i] : "";
        if (o.rfind("--gpu-architecture=", 0) == 0) architecture = o.substr(19);
        else if (o.rfind("-arch=", 0) == 0) architecture = o.substr(6);
        else if (o == "--fmad=false") fmad = false;
        else if (o == "--fmad=true") fmad = true;
        else if (o == "-std=c++17" || o == "--std=c++17" || o == "-default-device") continue;
        else { p.log = "nvrtc: error: unrecognized option " + o + "\n"; return false; }
    }
    if (architecture != "sm_90" && architecture != "compute_90") {
        p.log = "nvrtc: error: the emulation compiles for sm_90 or compute_90 only, not '" + architecture + "'\n";
        return false;
    }
    p.real_architecture = architecture == "sm_90";
    return true;
}

}  // namespace

extern "C" nvrtcResult nvrtcCompileProgram(nvrtcProgram prog, int numOptions, const char* const* options)
{
    if (!prog) return NVRTC_ERROR_INVALID_PROGRAM;
    Program& p = *prog;
    p.compiled = false;
    bool fmad = true;
    if (!parse_options(p, numOptions, options, fmad)) return NVRTC_ERROR_INVALID_OPTION;

    char folder[] = "/tmp/rawgan-nvrtc-XXXXXX";
    if (!mkdtemp(folder)) { p.log = "nvrtc: error: cannot create a temporary folder\n"; return NVRTC_ERROR_INTERNAL_ERROR; }
    std::string dir = folder;
    // One launcher per extern "C" __global__ function, appended after the source.
    std::ostringstream module;
    module << "#include \"" << p.name << "\"\n";
    static const std::regex kernel(R"(extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\()");
    for (std::sregex_iterator m(p.source.begin(), p.source.end(), kernel), end; m != end; ++m)
        module << "RAWGAN_EMU_KERNEL(" << (*m)[1] << ")\n";
    bool written = write_file(dir + "/" + p.name, p.source) && write_file(dir + "/module.cpp", module.str());
    for (auto& [name, text] : p.headers) written = written && write_file(dir + "/" + name, text);

    // --fmad=false is NVRTC's "no multiply-add contraction": the host compiler's -ffp-contract=off.
    std::string command = std::string(RAWGAN_EMU_CXX) + " -std=c++17 -O2 -fPIC -shared -w -fvisibility=hidden -fvisibility-inlines-hidden" +
        (fmad ? " -ffp-contract=fast" : " -ffp-contract=off") + " -include '" + own_directory() + "/kernel_prelude.h' -I '" + dir +
        "' -o '" + dir + "/module.so' '" + dir + "/module.cpp' 2>&1";
    std::string output;
    int status = -1;
    if (written) {
        if (FILE* pipe = popen(command.c_str(), "r")) {
            char buffer[4096];
            size_t n;
            while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
            status = pclose(pipe);
        }
    }
    std::ifstream library(dir + "/module.so", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(library)), std::istreambuf_iterator<char>());
    std::system(("rm -rf '" + dir + "'").c_str());
    if (!written || status != 0 || bytes.empty()) {
        p.log = "emulated NVRTC (" + std::string(RAWGAN_EMU_CXX) + ") failed to compile " + p.name + ":\n" + output;
        return NVRTC_ERROR_COMPILATION;
    }
    p.log = output;
    p.image = emu_image::wrap(bytes);
    p.compiled = true;
    return NVRTC_SUCCESS;
}

extern "C" {

nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram prog, size_t* size)
{
    if (!prog || !size) return !prog ? NVRTC_ERROR_INVALID_PROGRAM : NVRTC_ERROR_INVALID_INPUT;
    *size = prog->log.size() + 1;
    return NVRTC_SUCCESS;
}

nvrtcResult nvrtcGetProgramLog(nvrtcProgram prog, char* log)
{
    if (!prog || !log) return !prog ? NVRTC_ERROR_INVALID_PROGRAM : NVRTC_ERROR_INVALID_INPUT;
    std::memcpy(log, prog->log.c_str(), prog->log.size() + 1);
    return NVRTC_SUCCESS;
}

// As NVRTC: CUBIN only after compiling for a real architecture (sm_XY), PTX only for a virtual one.
static nvrtcResult image_size(nvrtcProgram prog, size_t* size, bool cubin)
{
    if (!prog) return NVRTC_ERROR_INVALID_PROGRAM;
    if (!size || !prog->compiled || prog->real_architecture != cubin) return NVRTC_ERROR_INVALID_INPUT;
    *size = prog->image.size();
    return NVRTC_SUCCESS;
}

static nvrtcResult image_copy(nvrtcProgram prog, char* out, bool cubin)
{
    if (!prog) return NVRTC_ERROR_INVALID_PROGRAM;
    if (!out || !prog->compiled || prog->real_architecture != cubin) return NVRTC_ERROR_INVALID_INPUT;
    std::memcpy(out, prog->image.data(), prog->image.size());
    return NVRTC_SUCCESS;
}

nvrtcResult nvrtcGetCUBINSize(nvrtcProgram prog, size_t* size) { return image_size(prog, size, true); }
nvrtcResult nvrtcGetCUBIN(nvrtcProgram prog, char* cubin) { return image_copy(prog, cubin, true); }
nvrtcResult nvrtcGetPTXSize(nvrtcProgram prog, size_t* size) { return image_size(prog, size, false); }
nvrtcResult nvrtcGetPTX(nvrtcProgram prog, char* ptx) { return image_copy(prog, ptx, false); }

}  // extern "C"
