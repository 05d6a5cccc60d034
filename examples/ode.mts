// A second-order neural ODE written in PyTorch, integrated by missing-u's solvers, and its gradients by
// the adjoint method (memory that does not grow with the number of steps).
//
//   node ode.mjs
import { createRequire } from 'node:module';
import path from 'node:path';

import { jit, ode, randn, tensor } from 'missing-u';

// The small network `missing-u bench` times, shipped in the package: forward(h, v, s) -> d2h/ds2.
const root = path.dirname(createRequire(import.meta.url).resolve('missing-u/package.json'));
using f = jit.load(path.join(root, 'test', 'fixtures', 'accel_net.pt'));
using x0 = randn([1, 2, 8, 8], 0); // h(0): the network's states have 2 channels
using v0 = tensor(new Float32Array(2 * 8 * 8), [1, 2, 8, 8]); // dh/ds(0)

const fixed = await ode.solve({ f, x0, v0, s0: 0, s1: 1, method: 'rk4-3/8', steps: 4 });
console.log('rk4-3/8', fixed.stats); // { nfe: 16, accepted: 4, rejected: 0 }
const adaptive = await ode.solve({ f, x0, v0, method: 'dopri5', rtol: 1e-5, atol: 1e-7, maxSteps: 1000 });
console.log('dopri5', adaptive.stats);

// Gradients of <gx, x(1)> + <gv, v(1)> with respect to x0, v0 and every parameter of f:
using gx = tensor(new Float32Array(2 * 8 * 8).fill(1), [1, 2, 8, 8]);
using gv = tensor(new Float32Array(2 * 8 * 8), [1, 2, 8, 8]);
const { grads, ...solved } = await ode.vjp({ f, x0, v0, gx, gv, method: 'rk4', steps: 16, gradient: 'adjoint' });
console.log(Object.keys(grads.parameters)); // [ 'time', 'conv1.weight', 'conv1.bias', ... ]

for (const solution of [fixed, adaptive, solved]) {
  solution.x.dispose();
  solution.v.dispose();
}
for (const t of [grads.x0, grads.v0, ...Object.values(grads.parameters)]) t.dispose();
