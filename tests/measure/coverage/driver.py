import subprocess, json, sys, os, time
CLI = '/work/main/build/bin/footprint-cli'
models = sys.argv[1].split(',')
opsets = [11, 17]
res = open('/tmp/coverage/results.jsonl', 'a')
for name in models:
    for op in opsets:
        t0 = time.time()
        rec = {'model': name, 'opset': op}
        try:
            p = subprocess.run(['/usr/bin/python3', '/tmp/coverage/worker.py', name, str(op)],
                               capture_output=True, text=True, timeout=150,
                               env=dict(os.environ, PYTHONDONTWRITEBYTECODE='1', OMP_NUM_THREADS='1'))
            line = [l for l in p.stdout.splitlines() if l.startswith('RESULT ')]
            if line: rec = json.loads(line[-1][7:])
            else:
                rec['worker_error'] = (p.stderr.strip().splitlines() or ['rc=%d' % p.returncode])[-1][:300]
        except subprocess.TimeoutExpired:
            rec['worker_error'] = 'timeout >150s (build+hooks+export); skipped'
        rec['worker_s'] = round(time.time() - t0, 1)
        if rec.get('path'):
            cmd = [CLI, 'analyze', rec['path'], '--format', 'json']
            if name.startswith(('gpt2', 'bert')): cmd += ['--dim', 'sequence=128']
            try:
                q = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
                rec['fp_rc'] = q.returncode
                rec['fp_stderr'] = q.stderr.strip()[-500:]
                try:
                    d = json.loads(q.stdout)
                    t = d['totals']
                    rec['fp_params'] = t.get('params'); rec['fp_buffers'] = t.get('buffers'); rec['fp_macs'] = t.get('macs')
                    rec['fp_unknown'] = d.get('unknown_shapes', []); rec['fp_unsupported'] = d.get('unsupported_ops', [])
                    rec['fp_warnings'] = d.get('warnings', [])
                    L = d.get('layers', [])
                    rec['fp_unknown_layer_ops'] = sorted({l['op'] for l in L if not l.get('shapes_known', True)})
                    rec['fp_costless_layer_ops'] = sorted({l['op'] for l in L if not l.get('cost_known', True)})
                    rec['fp_first_unknown_layers'] = [(l['name'], l['op']) for l in L if not l.get('shapes_known', True)][:5]
                except Exception as e:
                    rec['fp_parse_error'] = str(e)[:200]
            except subprocess.TimeoutExpired:
                rec['fp_rc'] = 'timeout'
        res.write(json.dumps(rec) + '\n'); res.flush()
        print(name, op, rec.get('worker_s'), rec.get('export_error') or rec.get('worker_error') or '', rec.get('fp_rc'), flush=True)
