// A Rust standard-library tour with deterministic output, run under shoal and
// natively (Linux is the oracle): threads, mpsc channels, Mutex, RwLock,
// Condvar, Barrier, collections, files in a directory given as the first
// argument, and catch_unwind of a panic. std only: built with Debian's rustc,
// -C target-feature=+crt-static, no crates.
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet, VecDeque};
use std::fs;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::panic;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Condvar, Mutex, RwLock};
use std::thread;
use std::time::{Duration, Instant};

fn threads_and_channels() {
    let (tx, rx) = mpsc::channel::<u64>();
    let mut handles = Vec::new();
    for t in 0..8u64 {
        let tx = tx.clone();
        handles.push(thread::spawn(move || {
            let mut s = 0;
            for i in 0..10_000u64 {
                s += i * (t + 1);
            }
            tx.send(s).unwrap();
            t
        }));
    }
    drop(tx);
    let total: u64 = rx.iter().sum();
    let ids: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    println!("mpsc total {} joined {}", total, ids);

    // A bounded channel: the producer blocks until the consumer catches up.
    let (stx, srx) = mpsc::sync_channel::<usize>(2);
    let prod = thread::spawn(move || {
        for i in 0..1000 {
            stx.send(i).unwrap();
        }
    });
    let got: usize = srx.iter().sum();
    prod.join().unwrap();
    println!("sync_channel sum {}", got);

    // Scoped threads borrow from the stack.
    let data: Vec<u32> = (1..=1000).collect();
    let mut halves = [0u32; 2];
    thread::scope(|s| {
        let (a, b) = halves.split_at_mut(1);
        let (l, r) = data.split_at(500);
        s.spawn(move || a[0] = l.iter().sum());
        s.spawn(move || b[0] = r.iter().sum());
    });
    println!("scoped halves {:?}", halves);
}

fn locks() {
    let counter = Arc::new(Mutex::new(0u64));
    let table = Arc::new(RwLock::new(HashMap::new()));
    let atomic = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(4));
    let mut hs = Vec::new();
    for t in 0..4 {
        let (c, tb, a, b) = (counter.clone(), table.clone(), atomic.clone(), barrier.clone());
        hs.push(thread::spawn(move || {
            for i in 0..5000 {
                *c.lock().unwrap() += 1;
                a.fetch_add(1, Ordering::Relaxed);
                if i % 100 == 0 {
                    tb.write().unwrap().insert(t * 1000 + i / 100, i);
                }
                let _ = tb.read().unwrap().len();
            }
            b.wait();
        }));
    }
    for h in hs {
        h.join().unwrap();
    }
    println!("mutex {} atomic {} rwlock entries {}", *counter.lock().unwrap(),
             atomic.load(Ordering::SeqCst), table.read().unwrap().len());

    // Condvar: a worker waits for a flag, then answers through the same pair.
    let pair = Arc::new((Mutex::new(0u32), Condvar::new()));
    let p2 = pair.clone();
    let w = thread::spawn(move || {
        let (m, cv) = &*p2;
        let mut g = cv.wait_while(m.lock().unwrap(), |v| *v == 0).unwrap();
        *g += 41;
        cv.notify_all();
    });
    {
        let (m, cv) = &*pair;
        thread::sleep(Duration::from_millis(10));
        *m.lock().unwrap() = 1;
        cv.notify_all();
        let g = cv.wait_while(m.lock().unwrap(), |v| *v == 1).unwrap();
        println!("condvar {}", *g);
    }
    w.join().unwrap();
    let (m, cv) = &*pair;
    let start = Instant::now();
    let (_g, to) = cv.wait_timeout(m.lock().unwrap(), Duration::from_millis(20)).unwrap();
    println!("wait_timeout timed out {} waited>=20ms {}", to.timed_out(),
             start.elapsed() >= Duration::from_millis(20));
}

fn collections() {
    let mut v: Vec<u64> = (0..100_000).map(|i| (i * 7919) % 100_003).collect();
    v.sort_unstable();
    v.dedup();
    let mut hm: HashMap<String, usize> = HashMap::new();
    for i in 0..50_000 {
        *hm.entry(format!("key{}", i % 1234)).or_insert(0) += i;
    }
    let bt: BTreeMap<usize, &String> = hm.iter().map(|(k, v)| (*v, k)).collect();
    let hs: HashSet<u64> = v.iter().map(|x| x % 1000).collect();
    let mut heap: BinaryHeap<u64> = v.iter().take(1000).cloned().collect();
    let top: Vec<u64> = (0..3).map(|_| heap.pop().unwrap()).collect();
    let mut dq: VecDeque<u32> = VecDeque::new();
    for i in 0..100 {
        if i % 2 == 0 { dq.push_back(i) } else { dq.push_front(i) }
    }
    println!("vec {} last {} hashmap {} btree first {:?} last {:?} set {} heap top {:?} deque {:?}..{:?}",
             v.len(), v[v.len() - 1], hm.len(), bt.iter().next(), bt.iter().next_back(),
             hs.len(), top, dq.front(), dq.back());
    let s: String = (0..26u8).map(|c| (b'a' + c) as char).rev().collect();
    println!("string {} upper {}", s, s.to_uppercase().chars().step_by(5).collect::<String>());
}

fn files(dir: &Path) -> std::io::Result<()> {
    let d = dir.join("rust-tour");
    fs::create_dir_all(d.join("sub"))?;
    {
        let mut f = fs::File::create(d.join("a.txt"))?;
        for i in 0..100 {
            writeln!(f, "line {}", i)?;
        }
        f.sync_all()?;
    }
    let mut f = fs::OpenOptions::new().read(true).write(true).open(d.join("a.txt"))?;
    f.seek(SeekFrom::Start(5))?;
    f.write_all(b"ZERO")?;
    f.seek(SeekFrom::Start(0))?;
    let mut first = String::new();
    BufReader::new(&f).read_line(&mut first)?;
    let meta = f.metadata()?;
    fs::copy(d.join("a.txt"), d.join("sub/b.txt"))?;
    fs::rename(d.join("sub/b.txt"), d.join("sub/c.txt"))?;
    let mut all = String::new();
    fs::File::open(d.join("sub/c.txt"))?.read_to_string(&mut all)?;
    let mut names: Vec<String> = fs::read_dir(&d)?.map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    println!("files first {:?} len {} copy lines {} entries {:?} b gone {}", first.trim_end(), meta.len(),
             all.lines().count(), names, !d.join("sub/b.txt").exists());
    fs::remove_dir_all(&d)?;
    println!("removed {}", !d.exists());
    Ok(())
}

fn unwinding() {
    // Quiet the default hook so stderr carries no thread id or location.
    panic::set_hook(Box::new(|_| {}));
    let r = panic::catch_unwind(|| {
        let v: Vec<i32> = Vec::new();
        v[3] // index out of bounds
    });
    println!("catch_unwind caught {}", r.is_err());
    let r = panic::catch_unwind(|| {
        let _guard = Dropper("guard");
        panic!("boom {}", 7);
    });
    let msg = r.unwrap_err().downcast::<String>().map(|s| *s).unwrap_or_default();
    println!("payload {:?}", msg);
    // A panic in a thread is seen by join; a poisoned mutex afterwards.
    let m = Arc::new(Mutex::new(1));
    let m2 = m.clone();
    let j = thread::spawn(move || {
        let _g = m2.lock().unwrap();
        panic!("in thread");
    })
    .join();
    println!("thread panic seen {} poisoned {}", j.is_err(), m.is_poisoned());
    let _ = panic::take_hook();
}

struct Dropper(&'static str);
impl Drop for Dropper {
    fn drop(&mut self) {
        println!("dropped {} while unwinding {}", self.0, thread::panicking());
    }
}

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "/tmp".into());
    threads_and_channels();
    locks();
    collections();
    if let Err(e) = files(Path::new(&dir)) {
        println!("files error {}", e);
        std::process::exit(1);
    }
    unwinding();
    println!("done");
}
