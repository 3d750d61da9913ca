// A small Node.js HTTP server (node_http.sh): GET /hello, GET /sum?n=N
// (computed), anything else 404; exits after GET /quit.
const http = require('http');
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/hello') {
    res.end('hello from node ' + process.version + '\n');
  } else if (url.pathname === '/sum') {
    let s = 0;
    for (let i = 1; i <= Number(url.searchParams.get('n')); i++) s += i;
    res.end(String(s) + '\n');
  } else if (url.pathname === '/quit') {
    res.end('bye\n', () => server.close());
  } else {
    res.statusCode = 404;
    res.end('not found\n');
  }
});
server.listen(8080, '0.0.0.0', () => console.log('listening on 8080'));
