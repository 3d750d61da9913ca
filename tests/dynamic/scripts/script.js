// Node.js (V8: JIT code, W^X flips, worker threads of its platform): a hot loop, crypto,
// JSON, a promise and a timer.
const crypto = require('crypto');
let s = 0; for (let i = 0; i < 5e6; i++) s = (s + i * 7) % 1000003;
console.log('loop', s);
console.log('sha256', crypto.createHash('sha256').update('shoal').digest('hex'));
const o = JSON.parse(JSON.stringify({a: [1, 2, {b: 'c'}]})); console.log(JSON.stringify(o));
setTimeout(() => console.log('timer fired'), 50);
Promise.resolve(42).then(v => console.log('promise', v));
