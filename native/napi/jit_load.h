#pragma once
// jit.load: a torch.jit.save file as a ScriptModule, read on the compute thread.
#include <napi.h>

namespace missingu {

// jitLoad(path: string, device: string): ScriptModule (the event loop waits for the read)
Napi::Value jitLoad(const Napi::CallbackInfo& info);
// jitLoadAsync(path: string, device: string): Promise<ScriptModule> (the event loop goes on)
Napi::Value jitLoadAsync(const Napi::CallbackInfo& info);

}  // namespace missingu
