# Time to first find per scenario and engine (medians), log scale; a bar at the cap means the median run found nothing.
# Variables from report.sh: data (plot data file), out (PNG), cap (seconds per run).
set terminal pngcairo size 1500,720 font ",10"
set output out
set title "Time to first find of each seed scenario (median over seeds; bars at the dashed cap: not found)"
set ylabel "seconds (log scale)"
set logscale y
set yrange [0.05:cap*2]
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by -35 left noenhanced
set key outside right top noenhanced
set grid ytics
set bmargin 9
ncols = system("head -n 1 '".data."' | wc -w") + 0
set arrow from graph 0, first cap to graph 1, first cap nohead dashtype 2 lw 2 lc rgb "red"
plot for [i=2:ncols] data using i:xtic(1) title columnheader(i)
